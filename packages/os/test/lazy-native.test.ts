import { describe, expect, it } from '@jest/globals';
import { BusError } from '@pipebus/core';
import { lazyNative } from '@pipebus/os';

describe('lazy native loading', () => {
  it('loads nothing when made, loads once on first use, and shares the result', async () => {
    let binds = 0;
    const load = lazyNative('libtest', async () => ({ n: ++binds }));
    expect(binds).toBe(0);
    const [a, b] = await Promise.all([load(), load()]);
    expect(a).toBe(b);
    expect(await load()).toBe(a);
    expect(binds).toBe(1);
  });

  it('rejects NOT_SUPPORTED with the cause when the library cannot load, and tries again next time', async () => {
    let attempt = 0;
    const cause = new Error('libc.so.6: cannot open shared object file');
    const load = lazyNative('libc through koffi', async () => {
      if (++attempt === 1) throw cause;
      return 'bound';
    });
    const e = await load().catch((error: unknown) => error as BusError);
    expect(e).toBeInstanceOf(BusError);
    expect([(e as BusError).code, (e as BusError).cause]).toEqual(['NOT_SUPPORTED', cause]);
    expect((e as BusError).message).toMatch(/^cannot load libc through koffi: libc\.so\.6.*koffi/);
    expect(await load()).toBe('bound');
  });

  it('passes a BusError of the binding (an unknown platform) through as it is', async () => {
    const refusal = new BusError('NOT_SUPPORTED', 'no socket constants for aix');
    await expect(lazyNative('libc', async () => Promise.reject(refusal))()).rejects.toBe(refusal);
  });

  it('loads the real koffi only when asked', async () => {
    const load = lazyNative('koffi', async () => (await import('koffi')).default);
    expect(typeof (await load()).load).toBe('function');
  });
});
