import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { systemClock } from '@pipebus/core';
import { checkKnownKeys, closestKey, describeValue } from '@pipebus/core/transport-kit';

const MAX_TIMER = 2 ** 31 - 1;

describe('systemClock beyond the 2^31 - 1 ms a Node timer takes', () => {
  afterEach(() => {
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  it('never hands Node a delay it would cut to 1 ms', () => {
    const spy = jest.spyOn(globalThis, 'setTimeout');
    const handle = systemClock.setTimeout(() => {}, Number.MAX_SAFE_INTEGER);
    systemClock.clearTimeout(handle);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls[0]![1]).toBe(MAX_TIMER);
  });

  it('waits the whole delay as a chain of timers, and clearTimeout stops the chain', () => {
    jest.useFakeTimers();
    const fired: string[] = [];
    systemClock.setTimeout(() => fired.push('long'), MAX_TIMER + 1000);
    const cancelled = systemClock.setTimeout(() => fired.push('cancelled'), 3 * MAX_TIMER);
    jest.advanceTimersByTime(MAX_TIMER);
    expect(fired).toEqual([]);
    systemClock.clearTimeout(cancelled);
    jest.advanceTimersByTime(999);
    expect(fired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(fired).toEqual(['long']);
    jest.advanceTimersByTime(3 * MAX_TIMER);
    expect(fired).toEqual(['long']);
  });
});

describe('checkKnownKeys', () => {
  const keys: ReadonlySet<string> = new Set(['address', 'connectTimeout', 'reconnect']);

  it('passes known keys and non-objects, and fails an unknown key with the closest one', () => {
    expect(() => checkKnownKeys('NamedPipeClient', { address: 'pipe://x', connectTimeout: 5 }, keys)).not.toThrow();
    expect(() => checkKnownKeys('NamedPipeClient', undefined, keys)).not.toThrow();
    expect(() => checkKnownKeys('NamedPipeClient', { address: 'pipe://x', connectTimout: 5 }, keys)).toThrow(
      "NamedPipeClient: unknown option 'options.connectTimout'; did you mean 'connectTimeout'? valid options are 'address', 'connectTimeout', 'reconnect'",
    );
    expect(() => checkKnownKeys('C', { reconnect: { x: 1 } }, keys)).not.toThrow();
    expect(() => checkKnownKeys('C', { initialDelay: 1 }, new Set(['initialDelayMs']), 'options.reconnect.')).toThrow(
      "C: unknown option 'options.reconnect.initialDelay'; did you mean 'initialDelayMs'?",
    );
  });

  it('ignores inherited keys and suggests nothing for a name far from every key', () => {
    const inherited = Object.create({ stray: 1 }) as object;
    expect(() => checkKnownKeys('C', inherited, keys)).not.toThrow();
    expect(closestKey('zzz', keys)).toBeUndefined();
    expect(closestKey('ADRESS', keys)).toBe('address');
    expect(closestKey('reconncet', keys)).toBe('reconnect');
  });
});

describe('describeValue', () => {
  it.each([
    [undefined, 'undefined'],
    [null, 'null'],
    ['100', '"100"'],
    [100, 'number 100'],
    [true, 'boolean true'],
    [function named() {}, 'a function (named)'],
    [[1], 'an array'],
  ])('describes %p as %s', (value, text) => {
    expect(describeValue(value)).toBe(text);
  });
});
