import { describe, expect, it } from '@jest/globals';
import { BusError } from '@pipebus/core';
import { errnoError, errnoName, errnoNumberError, errnoValue, win32Error, win32ErrorName } from '@pipebus/os';

/** An error as node:net / node:fs make them. */
function nodeError(code: string, errno: number): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: something failed`), { code, errno: -errno });
}

const ADVICE = { NOT_FOUND: 'start the server first', ACCESS_DENIED: 'run as the same user' };

describe('OS error translation: one message format, the OS code and name kept', () => {
  it('maps a Node errno error to its code, keeps osName/osCode and the cause, and appends the advice for that code', () => {
    const cause = nodeError('ENOENT', 2);
    const e = errnoError("connect to '/run/x.sock'", cause, { advice: ADVICE });
    expect([e.code, e.osName, e.osCode, e.cause]).toEqual(['NOT_FOUND', 'ENOENT', 2, cause]);
    expect(e.message).toBe("cannot connect to '/run/x.sock': ENOENT (2); start the server first");
  });

  it.each([
    ['ECONNREFUSED', 'NOT_FOUND'],
    ['EACCES', 'ACCESS_DENIED'],
    ['EPERM', 'ACCESS_DENIED'],
    ['EADDRINUSE', 'ADDRESS_IN_USE'],
    ['EAGAIN', 'BUSY'],
    ['EPIPE', 'TRANSPORT_CLOSED'],
    ['ECONNRESET', 'TRANSPORT_CLOSED'],
    ['ENAMETOOLONG', 'INVALID_ARGUMENT'],
    ['EMSGSIZE', 'FRAME_TOO_LARGE'],
    ['EIO', 'OS_ERROR'],
  ])('maps %s to %s', (name, code) => {
    expect(errnoError('x', nodeError(name, 5)).code).toBe(code);
  });

  it('adds no advice where the table has none, and takes one sentence over the table', () => {
    expect(errnoError('bind', nodeError('EADDRINUSE', 98), { advice: ADVICE }).message).toBe('cannot bind: EADDRINUSE (98)');
    expect(errnoError('bind', nodeError('EACCES', 13), { advice: 'check the directory' }).message).toBe('cannot bind: EACCES (13); check the directory');
  });

  it('passes a BusError through untouched, and describes a non-OS error by its text', () => {
    const bus = new BusError('TIMEOUT', 'late');
    expect(errnoError('x', bus)).toBe(bus);
    const odd = errnoError('do it', new Error('odd'));
    expect([odd.code, odd.osName, odd.osCode, odd.message]).toEqual(['OS_ERROR', undefined, undefined, 'cannot do it: Error: odd']);
  });

  it('lets the caller override the code and attach details', () => {
    const e = errnoError('wait', nodeError('EIO', 5), { code: 'BUSY', details: { call: 'poll' } });
    expect([e.code, e.details]).toEqual(['BUSY', { call: 'poll' }]);
  });

  (process.platform === 'win32' ? it.skip : it)('names errno numbers from libc by this platform\'s table, without koffi', () => {
    const enoent = errnoValue('ENOENT', -1);
    expect(enoent).toBe(2);
    expect(errnoName(enoent)).toBe('ENOENT');
    expect(errnoName(999_999)).toBe('errno 999999');
    const e = errnoNumberError("bind() on '/x.sock'", errnoValue('EADDRINUSE', 98), { advice: { ADDRESS_IN_USE: 'one reader per name' }, details: { call: 'bind', target: '/x.sock' } });
    expect([e.code, e.osName, e.details]).toEqual(['ADDRESS_IN_USE', 'EADDRINUSE', { call: 'bind', target: '/x.sock' }]);
    expect(e.message).toMatch(/^cannot bind\(\) on '\/x\.sock': EADDRINUSE \(\d+\); one reader per name$/);
  });

  it('translates Win32 errors of both transports, in the same format', () => {
    const busy = win32Error("open '\\\\.\\pipe\\x'", 231, { advice: { BUSY: 'retry' } });
    expect([busy.code, busy.osName, busy.osCode, busy.message]).toEqual(['BUSY', 'ERROR_PIPE_BUSY', 231, "cannot open '\\\\.\\pipe\\x': ERROR_PIPE_BUSY (231); retry"]);
    expect(win32Error('create', 183)).toMatchObject({ code: 'ADDRESS_IN_USE', osName: 'ERROR_ALREADY_EXISTS' });
    expect(win32Error('open', 53)).toMatchObject({ code: 'NOT_FOUND', osName: 'ERROR_BAD_NETPATH' });
    expect(win32Error('open', 5)).toMatchObject({ code: 'ACCESS_DENIED', osName: 'ERROR_ACCESS_DENIED' });
    expect(win32Error('open', 123)).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(win32Error('read', 109)).toMatchObject({ code: 'TRANSPORT_CLOSED', osName: 'ERROR_BROKEN_PIPE' });
    expect(win32Error('wait', 2, { code: 'TIMEOUT' }).code).toBe('TIMEOUT');
    expect(win32ErrorName(4242)).toBe('WIN32_ERROR_4242');
    expect(win32Error('poke', 4242)).toMatchObject({ code: 'OS_ERROR', osName: 'WIN32_ERROR_4242', osCode: 4242, message: 'cannot poke: WIN32_ERROR_4242 (4242)' });
  });
});
