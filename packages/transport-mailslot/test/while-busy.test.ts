import { BUSY_TRIES, whileBusy } from '../src/registry/while-busy.js';

// The group registry's calls try again while Windows reports the directory
// busy (a leaver's rmdir() in flight). The call and the pause are injected:
// no real lock and no real waiting.
const busy = (): Error => Object.assign(new Error('EBUSY: resource busy or locked, opendir'), { code: 'EBUSY' });

describe('whileBusy', () => {
  it('tries again while the call fails with EBUSY, then returns its result', () => {
    let calls = 0;
    const pauses: number[] = [];
    const result = whileBusy(
      () => {
        if (++calls < 3) throw busy();
        return 'listing';
      },
      (ms) => pauses.push(ms),
    );
    expect(result).toBe('listing');
    expect(calls).toBe(3);
    expect(pauses).toEqual([1, 1]);
  });

  it(`gives up after ${BUSY_TRIES} tries and throws the last EBUSY`, () => {
    let calls = 0;
    expect(() =>
      whileBusy(
        () => {
          calls++;
          throw busy();
        },
        () => {},
      ),
    ).toThrow(/EBUSY/);
    expect(calls).toBe(BUSY_TRIES);
  });

  it('throws any other error at once', () => {
    let calls = 0;
    const denied = Object.assign(new Error('EACCES'), { code: 'EACCES' });
    expect(() =>
      whileBusy(
        () => {
          calls++;
          throw denied;
        },
        () => {},
      ),
    ).toThrow(denied);
    expect(calls).toBe(1);
  });

  it('pauses for real between tries by default (a bounded synchronous wait)', () => {
    let calls = 0;
    expect(
      whileBusy(() => {
        if (++calls < 2) throw busy();
        return calls;
      }),
    ).toBe(2);
  });
});
