import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { privateRuntimeDir, uniqueGroup } from './helpers.js';

/** Counts how often the koffi module is loaded (its factory runs once, on the first require). */
const mockKoffi = { loads: 0 };
jest.mock('koffi', () => {
  mockKoffi.loads++;
  return jest.requireActual('koffi');
});

const runtime = privateRuntimeDir();
afterAll(() => runtime.dispose());

describe('mailslot native loading', () => {
  it('does not load koffi when the package is imported or a transport made, only on start()', async () => {
    const { MailslotTransport } = await import('@pipebus/transport-mailslot');
    const transport = new MailslotTransport({ address: uniqueGroup('lazy'), runtimeDir: runtime.dir });
    expect(mockKoffi.loads).toBe(0);
    await transport.start();
    try {
      expect(mockKoffi.loads).toBe(1);
    } finally {
      await transport.close();
    }
  });
});
