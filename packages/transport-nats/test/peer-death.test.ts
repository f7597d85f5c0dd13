// A peer that dies without a word (SIGKILL) is reported gone after three
// missed heartbeats, so a caller streaming from it fails with a clear code
// long before its timeout, instead of waiting for it.
import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { BusError, MessageBus, silentLogger } from '@pipebus/core';
import { forkTs, nextMessage } from '@pipebus/test-support';
import { NatsTransport } from '@pipebus/transport-nats';
import { filter, firstValueFrom } from 'rxjs';
import { natsFixture } from './helpers.js';

const FIXTURE = path.join(__dirname, 'fixtures', 'stream-responder.ts');

const fixture = natsFixture();

const is = (expected: string) => (message: unknown): message is string => message === expected;

describe('NatsTransport presence', () => {
  it('reports a SIGKILLed peer gone, and the caller of its stream fails TRANSPORT_CLOSED well within its timeout', async () => {
    const prefix = `death.d${process.pid}`;
    const transport = new NatsTransport({ servers: fixture.server.url, prefix, name: 'caller', heartbeatInterval: 100 });
    const bus = new MessageBus(transport, { logger: silentLogger });
    const child = forkTs(FIXTURE, [fixture.server.url, prefix]);
    try {
      const childHeard = firstValueFrom(transport.peers$.pipe(filter((e) => e.type === 'connected')));
      await bus.start();
      await nextMessage(child, is('ready'));
      const { peer } = await childHeard;
      const values: unknown[] = [];
      let firstValue: () => void = () => undefined;
      const streaming = new Promise<void>((resolve) => (firstValue = resolve));
      const failed = new Promise<unknown>((resolve) =>
        bus.request$('ticks', {}, { timeout: 20_000 }).subscribe({
          next: (v) => {
            values.push(v);
            firstValue();
          },
          error: resolve,
        }),
      );
      // Killed once its first value reached us: the caller knows which peer answers its stream (answeredBy).
      await streaming;
      const gone = firstValueFrom(transport.peers$.pipe(filter((e) => e.type === 'disconnected' && e.peer.id === peer.id)));
      child.kill('SIGKILL');
      const event = await gone;
      expect(event.reason).toMatch(/no heartbeat on NATS for \d+ ms/);
      const error = await failed;
      expect(BusError.is(error, 'TRANSPORT_CLOSED')).toBe(true);
      expect((error as BusError).message).toMatch(/'ticks' failed: the responder .* went away mid-stream: peer .* disconnected \(no heartbeat/);
      expect(values).toEqual([1]);
    } finally {
      child.kill('SIGKILL');
      await bus.close();
    }
  });
});
