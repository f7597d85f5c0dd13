import { describe, expect, it } from '@jest/globals';
import { MockNetwork } from '@pipebus/transport-mock';
import { MessageBus, silentLogger } from '@pipebus/core';
import { flush } from './helpers.js';

// The decode limits themselves are tested in core (codec-limits.test.ts); here, the bus option over a mock link.

describe('maxDecodedElements bus option', () => {
  it.each([15, 0, -1, 1.5, 2 ** 32, Number.NaN, '1000'])('refuses %p with INVALID_ARGUMENT naming the range', (value) => {
    const network = new MockNetwork({ seed: 1 });
    expect(() => new MessageBus(network.listen('svc'), { maxDecodedElements: value as number })).toThrow(/options\.maxDecodedElements must be an integer from 16 to 4294967295/);
  });

  it('drops a peer whose message decodes to more elements than the receiving bus allows', async () => {
    const network = new MockNetwork({ seed: 1 });
    const server = new MessageBus(network.listen('svc'), { clock: network.clock, logger: silentLogger, maxDecodedElements: 1000 });
    const seen: unknown[] = [];
    const subscription = server.subscribe('t').subscribe((event) => void seen.push(event.payload));
    await server.start();
    const client = new MessageBus(network.connect('svc'), { clock: network.clock, logger: silentLogger });
    await client.start();
    try {
      await client.publish('t', Array.from({ length: 900 }, () => ({})));
      await client.publish('t', Array.from({ length: 2000 }, () => ({})));
      await flush();
      expect(seen).toHaveLength(1);
      expect(server.stats().decodeFailed).toBe(1);
    } finally {
      subscription.unsubscribe();
      await client.close();
      await server.close();
    }
  });
});
