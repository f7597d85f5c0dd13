/**
 * Awaits `promise`, failing with a message naming what never happened if it
 * does not settle within `ms`: a hang detector, never a pause (nothing waits
 * for this time to pass when things work).
 */
export async function within<T>(what: string, promise: Promise<T>, ms = 20_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`hung: ${what} did not happen within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
