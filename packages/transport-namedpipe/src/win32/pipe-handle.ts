import net from 'node:net';
import { BusError } from '@pipebus/core';
import { ERROR_PIPE_BUSY, ERROR_SEM_TIMEOUT, win32, type Handle } from './win32-api.js';

/** True when an instance of `path` exists (free or busy): a live server owns the name. */
export function pipeExists(path: string): boolean {
  if (win32.WaitNamedPipeW(path, 1)) return true;
  const error = win32.GetLastError();
  return error === ERROR_SEM_TIMEOUT || error === ERROR_PIPE_BUSY;
}

/** Wraps a connected pipe HANDLE in a net.Socket; the socket owns the handle from here on. */
export function socketOver(handle: Handle): net.Socket {
  const fd = win32.uv_open_osfhandle(handle) as number;
  if (fd < 0) {
    win32.CloseHandle(handle);
    throw new BusError('OS_ERROR', `uv_open_osfhandle failed (${fd}) for a pipe handle; is this node.exe built with libuv exports?`, { osCode: fd });
  }
  return new net.Socket({ fd, readable: true, writable: true });
}
