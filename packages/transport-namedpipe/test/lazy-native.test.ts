import { describe, expect, it, jest } from '@jest/globals';
import { silentLogger } from '@pipebus/core';
import { makeRuntimeDir, uniqueAddress } from './helpers.js';

/** Counts how often the koffi module is loaded (its factory runs once, on the first require). */
const mockKoffi = { loads: 0 };
jest.mock('koffi', () => {
  mockKoffi.loads++;
  return jest.requireActual('koffi');
});

const runtimeDir = makeRuntimeDir();

describe('named-pipe native loading', () => {
  it('does not load koffi when the package is imported or a server made, only on start()', async () => {
    const { NamedPipeServer } = await import('@pipebus/transport-namedpipe');
    const server = new NamedPipeServer({ address: uniqueAddress('lazy'), logger: silentLogger, ...(runtimeDir === '' ? {} : { runtimeDir }) });
    expect(mockKoffi.loads).toBe(0);
    await server.start();
    try {
      expect(mockKoffi.loads).toBe(1);
    } finally {
      await server.close();
    }
  });
});
