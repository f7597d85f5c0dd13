import { describe, expect, it } from '@jest/globals';
import { BusError } from '@pipebus/core';
import { NamedPipeClient, NamedPipeServer } from '@pipebus/transport-namedpipe';
import { thrown } from '@pipebus/test-support';

// A misspelt option used to be ignored silently (issue 15): it now fails at
// construction, before any OS call, naming the key that was meant.
describe('unknown option keys', () => {
  it.each([
    ['NamedPipeClient', () => new NamedPipeClient({ address: 'pipe://x', connectTimout: 5 } as never), "new NamedPipeClient(): unknown option 'options.connectTimout'; did you mean 'connectTimeout'?"],
    ['NamedPipeServer', () => new NamedPipeServer({ address: 'pipe://x', maxClient: 5 } as never), "new NamedPipeServer(): unknown option 'options.maxClient'; did you mean 'maxClients'?"],
    ['reconnect', () => new NamedPipeClient({ address: 'pipe://x', reconnect: { maxDelay: 5 } } as never), "unknown option 'options.reconnect.maxDelay'; did you mean 'maxDelayMs'?"],
  ])('fail %s with the closest valid key', (_name, make, message) => {
    const error = thrown(make, BusError);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(message);
  });
});
