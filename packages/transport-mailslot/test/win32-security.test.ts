import { afterAll, describe, expect, it } from '@jest/globals';
import koffi from 'koffi';
import { MailslotTransport } from '@pipebus/transport-mailslot';
import { slotSecurity } from '../src/win32/slot-security.js';
import { onWindows, privateRuntimeDir, underWine, uniqueSlot } from './helpers.js';

const runtime = privateRuntimeDir();
afterAll(() => runtime.dispose());

const READ_CONTROL = 0x0002_0000;
const FILE_SHARE_READ_WRITE = 0x3;
const OPEN_EXISTING = 3;
const SE_KERNEL_OBJECT = 6;
const DACL_SECURITY_INFORMATION = 4;

/** The DACL of the mailslot at `path` as SDDL, read back from the OS through a READ_CONTROL handle. */
function daclOf(path: string): string {
  const kernel32 = koffi.load('kernel32.dll');
  const advapi32 = koffi.load('advapi32.dll');
  const pointerOut = koffi.out(koffi.pointer('void *'));
  const CreateFileW = kernel32.func('intptr_t __stdcall CreateFileW(const char16_t *name, uint32_t access, uint32_t share, void *sa, uint32_t disposition, uint32_t flags, intptr_t tmpl)');
  const CloseHandle = kernel32.func('bool __stdcall CloseHandle(intptr_t h)');
  const GetLastError = kernel32.func('uint32_t __stdcall GetLastError()');
  const GetSecurityInfo = advapi32.func('__stdcall', 'GetSecurityInfo', 'uint32_t', ['intptr_t', 'int', 'uint32_t', 'void *', 'void *', pointerOut, 'void *', pointerOut]);
  const toString = advapi32.func('__stdcall', 'ConvertSecurityDescriptorToStringSecurityDescriptorW', 'bool', ['void *', 'uint32_t', 'uint32_t', pointerOut, 'void *']);
  const handle = CreateFileW(path, READ_CONTROL, FILE_SHARE_READ_WRITE, null, OPEN_EXISTING, 0, 0) as number;
  if (handle === -1) throw new Error(`CreateFileW(READ_CONTROL) failed with ${GetLastError()}`);
  try {
    const dacl: unknown[] = [null];
    const descriptor: unknown[] = [null];
    const status = GetSecurityInfo(handle, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, null, null, dacl, null, descriptor) as number;
    if (status !== 0) throw new Error(`GetSecurityInfo failed with ${status}`);
    const text: unknown[] = [null];
    if (!toString(descriptor[0], 1, DACL_SECURITY_INFORMATION, text, null)) throw new Error(`ConvertSecurityDescriptorToStringSecurityDescriptorW failed with ${GetLastError()}`);
    return koffi.decode(text[0], 'char16_t', -1) as string;
  } finally {
    CloseHandle(handle);
  }
}

(onWindows ? describe : describe.skip)('mailslot security on Windows (POSIX slots are covered by the socket mode and uid tests)', () => {
  it('builds a protected DACL for the current user, widened to authenticated users only with allowOtherUsers', () => {
    expect(slotSecurity(false).sddl).toMatch(/^D:P\(A;;GA;;;S-1-[0-9-]+\)$/);
    expect(slotSecurity(true).sddl).toMatch(/^D:P\(A;;GA;;;S-1-[0-9-]+\)\(A;;GRGW;;;AU\)$/);
  });

  // Wine 8 keeps no security descriptor on mailslots: GetSecurityInfo reads back an empty one.
  const itOnRealWindows = underWine ? it.skip : it;
  for (const allowOtherUsers of [false, true]) {
    itOnRealWindows(`creates each slot with that DACL${allowOtherUsers ? ' (allowOtherUsers)' : ''}, read back from the OS (skipped under Wine: it keeps no DACL on mailslots)`, async () => {
      const path = uniqueSlot(runtime.dir, `dacl${allowOtherUsers ? 'all' : 'me'}`);
      const reader = new MailslotTransport({ address: path, mode: 'read', allowOtherUsers });
      await reader.start();
      try {
        const sddl = daclOf(path);
        expect(sddl).toMatch(/^D:P\(A;;(GA|FA);;;S-1-[0-9-]+\)/);
        if (allowOtherUsers) expect(sddl).toContain(';;;AU)');
        else expect(sddl).not.toContain(';;;AU)');
      } finally {
        await reader.close();
      }
    });
  }
});
