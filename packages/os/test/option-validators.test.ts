import { describe, expect, it } from '@jest/globals';
import { BusError, consoleLogger, silentLogger, systemClock, type Clock } from '@pipebus/core';
import { backendSeam, optionalBoolean, optionalChoice, optionalClock, optionalDir, optionalInteger, optionalLogger, optionalNumber, requireObject } from '@pipebus/os';
import { thrown as thrownBy } from '@pipebus/test-support';

const thrown = (fn: () => unknown): BusError => thrownBy(fn, BusError);

describe('option validators shared by the OS transports', () => {
  it('take the default for undefined and the value when valid', () => {
    expect(optionalBoolean('T', 'raw', undefined, true)).toBe(true);
    expect(optionalBoolean('T', 'raw', false, true)).toBe(false);
    expect(optionalInteger('T', 'n', undefined, 7, 1, 10)).toBe(7);
    expect(optionalInteger('T', 'n', 10, 7, 1, 10)).toBe(10);
    expect(optionalNumber('T', 'f', Infinity, 1, 1, Infinity)).toBe(Infinity);
    expect(optionalChoice('T', 'mode', 'read', ['read', 'write'] as const)).toBe('read');
    expect(optionalChoice('T', 'mode', undefined, ['read', 'write'] as const)).toBeUndefined();
    expect(optionalDir('T', 'runtimeDir', '/run/x', 'linux')).toBe('/run/x');
    expect(optionalDir('T', 'runtimeDir', 'C:\\x', 'win32')).toBe('C:\\x');
    expect(optionalLogger('T', undefined, consoleLogger)).toBe(consoleLogger);
    expect(optionalLogger('T', undefined, undefined)).toBeUndefined();
    expect(optionalLogger('T', silentLogger, undefined)).toBe(silentLogger);
  });

  it.each([
    [() => requireObject('NamedPipeServer', null, "{ address: 'pipe://orders' }"), "NamedPipeServer takes an options object such as { address: 'pipe://orders' }, got null"],
    [() => requireObject('T', [], '{}'), 'T takes an options object such as {}, got'],
    [() => optionalBoolean('T', 'raw', 'yes', false), 'T: options.raw must be true or false, got'],
    [() => optionalInteger('T', 'sendTimeoutMs', 0, 1, 1, 600_000), 'T: options.sendTimeoutMs must be an integer from 1 to 600000, got number 0'],
    [() => optionalInteger('T', 'n', 1.5, 1, 1, 10), 'options.n must be an integer from 1 to 10'],
    [() => optionalInteger('T', 'n', '3', 1, 1, 10), 'options.n must be an integer'],
    [() => optionalNumber('T', 'f', Number.NaN, 1, 1, 2), 'T: options.f must be a number from 1 to 2'],
    [() => optionalChoice('T', 'mode', 'sideways', ['read', 'write', 'both']), "T: options.mode must be 'read', 'write' or 'both', got"],
    [() => optionalDir('T', 'runtimeDir', 'rel/dir', 'linux'), 'T: options.runtimeDir must be an absolute directory path'],
    [() => optionalDir('T', 'runtimeDir', '', 'linux'), 'options.runtimeDir must be an absolute directory path'],
    [() => optionalLogger('T', {}, undefined), 'T: options.logger must have debug, info, warn and error methods'],
    [() => optionalLogger('T', { debug() {}, warn() {} }, undefined), 'options.logger must have debug, info, warn and error'],
  ])('refuse a bad value with INVALID_ARGUMENT in the one format (%#)', (fn, message) => {
    const e = thrown(fn);
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toContain(message);
  });
});

describe('optionalClock', () => {
  it('defaults to systemClock and passes a full Clock through', () => {
    expect(optionalClock('T', undefined)).toBe(systemClock);
    const clock: Clock = { now: () => 0, setTimeout: () => systemClock.setTimeout(() => undefined, 0), clearTimeout: () => undefined };
    expect(optionalClock('T', clock)).toBe(clock);
  });

  it.each([null, 5, {}, { now: () => 0, setTimeout: () => 1 }])('refuses %p, naming the missing methods', (bad) => {
    const e = thrown(() => optionalClock('T', bad));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toContain('T: options.clock must implement now(), setTimeout() and clearTimeout()');
  });
});

describe('backendSeam', () => {
  it('hands the backend only to its own seam, without changing the options it copies', () => {
    const a = backendSeam<string>('a');
    const b = backendSeam<string>('a');
    const options = { address: 'x' };
    const injected = a.withBackend(options, 'fake');
    expect(a.injectedBackend(injected)).toBe('fake');
    // Same label, other seam: the key is a fresh symbol, so it cannot be forged.
    expect(b.injectedBackend(injected)).toBeUndefined();
    expect(a.injectedBackend(options)).toBeUndefined();
    expect(Object.keys(injected)).toEqual(['address']);
  });
});
