import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { readdirSync } from 'node:fs';
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

  it('opens nothing when close() comes while start() loads the backend', async () => {
    const { MailslotTransport } = await import('@pipebus/transport-mailslot');
    const transport = new MailslotTransport({ address: uniqueGroup('closed-early'), runtimeDir: runtime.dir });
    // start() yields while it loads the native backend; close() runs in that gap.
    const started = transport.start();
    await transport.close();
    await expect(started).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    expect(transport.stats().readerLoop.slots).toBe(0);
    const group = transport.path;
    // No listener marker or socket was left for others to find (the group directory may not even exist).
    const left = (() => {
      try {
        return readdirSync(group);
      } catch {
        return [];
      }
    })();
    expect(left).toEqual([]);
  });
});
