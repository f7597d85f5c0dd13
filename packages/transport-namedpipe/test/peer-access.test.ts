import { describe, expect, it } from '@jest/globals';
import { accessPolicy, refusal, serverRefused } from '../src/access/peer-access.js';

// The same-user rule as a pure function: any uid or SID can be fed to it,
// including ones no process on this machine runs as.

const ME = { uid: 1000 };
const MY_SID = { sid: 'S-1-5-21-1-2-3-1001' };

describe('refusal (who may be on the other end)', () => {
  const sameUser = accessPolicy('test', undefined);

  it('admits this user and refuses another uid, root included, by default', () => {
    expect(refusal(sameUser, ME, { uid: 1000 })).toBeUndefined();
    expect(refusal(sameUser, ME, { uid: 1001 })).toMatch(/uid 1001, not as this user \(uid 1000\)/);
    expect(refusal(sameUser, ME, { uid: 0 })).toMatch(/uid 0/);
  });

  it('compares Windows SIDs (case-insensitively) the same way', () => {
    expect(refusal(sameUser, MY_SID, { sid: 's-1-5-21-1-2-3-1001' })).toBeUndefined();
    expect(refusal(sameUser, MY_SID, { sid: 'S-1-5-18' })).toMatch(/S-1-5-18, not as this user/);
    expect(refusal(sameUser, MY_SID, { sid: 'S-1-5-32-544' })).toMatch(/not as this user/);
  });

  it('refuses a peer whose user the OS did not tell, unless any user is allowed', () => {
    expect(refusal(sameUser, ME, {})).toMatch(/did not say which user/);
    expect(refusal(accessPolicy('test', 'any-user'), ME, {})).toBeUndefined();
  });

  it('admits exactly the uids and SIDs listed, besides this user', () => {
    const listed = accessPolicy('test', { uids: [0, 1001], sids: ['s-1-5-21-9-9-9-500'] });
    expect(refusal(listed, ME, { uid: 1001 })).toBeUndefined();
    expect(refusal(listed, ME, { uid: 0 })).toBeUndefined();
    expect(refusal(listed, ME, { uid: 1002 })).toBeDefined();
    expect(refusal(listed, MY_SID, { sid: 'S-1-5-21-9-9-9-500' })).toBeUndefined();
    expect(refusal(listed, MY_SID, { sid: 'S-1-5-21-9-9-9-501' })).toBeDefined();
  });

  it("treats allowOtherUsers: true as allow: 'any-user'", () => {
    expect(accessPolicy('test', undefined, true).anyUser).toBe(true);
    expect(accessPolicy('test', 'any-user', true).anyUser).toBe(true);
    expect(accessPolicy('test', 'same-user', false).anyUser).toBe(false);
  });

  it('says how to widen it in the error a client meets', () => {
    const error = serverRefused('/tmp/x.sock', 'it runs as uid 7, not as this user (uid 1000)', { uid: 7 });
    expect(error.code).toBe('ACCESS_DENIED');
    expect(error.message).toMatch(/allow: \{ uids: \[7\] \}/);
  });
});

describe('accessPolicy validation', () => {
  it.each([
    ['everyone', /'same-user', 'any-user' or \{ uids/],
    [{ uids: [-1] }, /allow.uids' must be an array of whole numbers from 0 to 4294967295/],
    [{ uids: 5 }, /allow.uids/],
    [{ sids: ['Administrators'] }, /allow.sids' must be an array of string SIDs/],
    [{ users: ['bob'] }, /'users' is not one of its keys/],
  ])('refuses allow: %p with INVALID_ARGUMENT', (allow, message) => {
    expect(() => accessPolicy('NamedPipeClient', allow)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) }));
  });

  it('refuses allowOtherUsers and allow that contradict each other', () => {
    expect(() => accessPolicy('NamedPipeServer', 'same-user', true)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/contradicts/) }));
    expect(() => accessPolicy('NamedPipeServer', 'any-user', false)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => accessPolicy('NamedPipeServer', { uids: [5] }, true)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => accessPolicy('NamedPipeServer', undefined, 'yes')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
