import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { loadPlatformBackend } from '../src/backend/choose-backend.js';
import { E, libc, type Libc } from '../src/posix/libc.js';
import { PosixWriter } from '../src/posix/posix-writer.js';
import type { WritableWaiter } from '../src/posix/writable-waiter.js';
import { onWindows, privateRuntimeDir, uniqueSlot } from './helpers.js';

const runtime = privateRuntimeDir();
afterAll(() => runtime.dispose());
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/**
 * The real libc, except that send() answers with the errnos the test queues
 * (each one a refused send), then sends for real.
 */
function scriptedLibc(): { lib: Libc; refuse(...errnos: number[]): void } {
  const real = libc();
  const queued: number[] = [];
  let errno = 0;
  const lib: Libc = {
    ...real,
    send: (fd, buf, len, flags) => {
      const next = queued.shift();
      if (next === undefined) return real.send(fd, buf, len, flags);
      errno = next;
      return -1;
    },
    errno: () => errno,
  };
  return { lib, refuse: (...errnos) => queued.push(...errnos) };
}

/** A waiter that only records what it was asked to wait for, and resolves at once. */
function recordingWaiter(lib: Libc): { waiter: WritableWaiter; waits: number[][] } {
  const waits: number[][] = [];
  const waiter = {
    wait: (fds: readonly number[]) => {
      waits.push([...fds]);
      return Promise.resolve();
    },
    cancel: () => undefined,
    close: (fd: number) => {
      lib.close(fd);
      return Promise.resolve();
    },
  } as unknown as WritableWaiter;
  return { waiter, waits };
}

(onWindows ? describe.skip : describe)('POSIX mailslot writer: a refused send', () => {
  it('waits for POLLOUT after EAGAIN, but pauses on a timer after ENOBUFS, which POLLOUT does not track', async () => {
    const path = uniqueSlot(runtime.dir, 'nobufs');
    const reader = (await loadPlatformBackend()).createReader(path, 65536, 200, false);
    cleanups.push(() => reader.close());
    const { lib, refuse } = scriptedLibc();
    const { waiter, waits } = recordingWaiter(lib);
    const writer = new PosixWriter(lib, 65536, waiter);
    cleanups.push(() => writer.close());
    const data = new Uint8Array(16);

    refuse(E.ENOBUFS);
    expect(writer.write(path, data)).toBe('full');
    await writer.waitWritable!([path], 10_000);
    expect(waits).toEqual([]); // a poll would return at once: no spin through the waiter

    refuse(E.EAGAIN);
    expect(writer.write(path, data)).toBe('full');
    await writer.waitWritable!([path], 10_000);
    expect(waits).toHaveLength(1); // the reader's queue: POLLOUT tells when it has room

    refuse(E.ENOBUFS);
    expect(writer.write(path, data)).toBe('full');
    expect(writer.write(path, data)).toBe('sent');
    await writer.waitWritable!([path], 10_000);
    expect(waits).toHaveLength(2); // a send went through since: back to POLLOUT
  });
});
