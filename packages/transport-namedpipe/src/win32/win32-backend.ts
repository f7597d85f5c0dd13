import { win32Error } from '../advice/os-advice.js';
import type { PipeBackend } from '../backend/pipe-backend.js';
import { socketOver } from './pipe-handle.js';
import { currentUserSid, processUserSid } from './security.js';
import { NamedPipeListener } from './pipe-listener.js';
import { FILE_FLAG_OVERLAPPED, GENERIC_READ, GENERIC_WRITE, OPEN_EXISTING, isInvalidHandle, win32 } from './win32-api.js';

/**
 * Windows named pipes: instances made and accepted through koffi (DACL, pid),
 * bytes through libuv's overlapped I/O (`net.Socket` over the HANDLE).
 */
export const win32Backend: PipeBackend = {
  createListener: (address, settings) => new NamedPipeListener(address.path, settings),
  async connect(address) {
    // CreateFileW, not net.connect: on ERROR_PIPE_BUSY libuv would park a pool
    // thread in WaitNamedPipe for 30 s; here BUSY comes back at once and the
    // client's own bounded poll decides how long to wait.
    const handle = win32.CreateFileW(address.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, null);
    if (isInvalidHandle(handle)) throw win32Error(`connect to '${address.path}'`, win32.GetLastError());
    const pid = [0];
    const known = win32.GetNamedPipeServerProcessId(handle, pid) !== 0;
    // The server's user, for the client's same-user check; unknown (and so refused
    // unless allow: 'any-user') when Windows will not let us open its process.
    const sid = known ? processUserSid(pid[0]!) : undefined;
    return { socket: socketOver(handle), identity: { ...(known && { pid: pid[0]! }), ...(sid !== undefined && { sid }) } };
  },
  selfIdentity: () => ({ sid: currentUserSid() }),
};
