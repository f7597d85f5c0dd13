/**
 * The Wine version when this Windows process runs under Wine, else
 * undefined: Wine's ntdll exports `wine_get_version`, real Windows does not.
 */
export async function wineVersion(): Promise<string | undefined> {
  if (process.platform !== 'win32') return undefined;
  try {
    // koffi is loaded lazily: doctor is the only command that needs FFI here.
    const { default: koffi } = await import('koffi');
    const ntdll = koffi.load('ntdll.dll');
    const getVersion = ntdll.func('const char* wine_get_version()');
    return getVersion() as string;
  } catch {
    return undefined;
  }
}
