// Delivery of received events, around the caches on its path: the topic
// index's shared answer per topic and the event router's last valid topic.
import { afterEach, describe, expect, it } from '@jest/globals';
import { MessageBus, msgpackCodec, silentLogger } from '@pipebus/core';
import { Kind, Transport, encodeMessageFrame } from '@pipebus/core/transport-kit';
import type { PeerId, TransportCapabilities } from '@pipebus/core';
import { config } from 'rxjs';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

const event = (topic: string, payload: unknown): Uint8Array =>
  encodeMessageFrame({ kind: Kind.Event, id: 0, name: topic, payload, headers: undefined }, msgpackCodec);

/** A client-side transport whose received frames the test hands in, synchronously. */
class FeedTransport extends Transport {
  readonly capabilities: TransportCapabilities = { duplex: true, broadcast: false, maxFrameSize: 1 << 20, reliable: true, ordered: true };
  protected async doStart(): Promise<void> {}
  protected async doSend(): Promise<void> {}
  protected async doClose(): Promise<void> {}
  receive(data: Uint8Array, from: PeerId): void {
    this.emitFrame({ data, peer: { id: from } });
  }
}

async function feedBus(): Promise<{ bus: MessageBus; transport: FeedTransport }> {
  const transport = new FeedTransport();
  const bus = new MessageBus(transport, { logger: silentLogger });
  cleanup.push(() => bus.close());
  await bus.start();
  return { bus, transport };
}

describe('delivering received events', () => {
  it('checks every topic a peer sends, also one that follows a valid topic and an empty one first', async () => {
    const { bus, transport } = await feedBus();
    const got: string[] = [];
    bus.subscribe('>').subscribe((e) => got.push(`${e.topic} from ${e.peer?.id}`));
    transport.receive(event('', 0), 'empty');
    transport.receive(event('a.b', 1), 'good');
    transport.receive(event('a.b', 2), 'good');
    // A wildcard topic would match like a pattern in the index: refused, right after a valid one.
    transport.receive(event('a.*', 3), 'wild');
    transport.receive(event('a.b', 4), 'good');
    transport.receive(event('a.>', 5), 'rest');
    expect(got).toEqual(['a.b from good', 'a.b from good', 'a.b from good']);
    expect(bus.stats().decodeFailed).toBe(3);
  });

  it('gives an event to the subscribers there were when it arrived: one added inside next() gets the next event, one removed gets nothing more', async () => {
    const { bus, transport } = await feedBus();
    const log: string[] = [];
    let late: { unsubscribe(): void } | undefined;
    const victim = bus.subscribe('t.*').subscribe((e) => log.push(`victim ${String(e.payload)}`));
    bus.subscribe('t.>').subscribe((e) => {
      log.push(`first ${String(e.payload)}`);
      if (e.payload === 1) {
        late = bus.subscribe('t.x').subscribe((l) => log.push(`late ${String(l.payload)}`));
        victim.unsubscribe();
      }
    });
    // Subscribed after `first`, so that it is delivered to after `first` unsubscribes it.
    bus.subscribe('t.x').subscribe((e) => log.push(`third ${String(e.payload)}`));
    transport.receive(event('t.x', 1), 'p');
    transport.receive(event('t.x', 2), 'p');
    late?.unsubscribe();
    transport.receive(event('t.x', 3), 'p');
    expect(log).toEqual(['victim 1', 'first 1', 'third 1', 'first 2', 'third 2', 'late 2', 'first 3', 'third 3']);
  });

  it('goes on to the other subscribers when one throws', async () => {
    const { bus, transport } = await feedBus();
    const got: unknown[] = [];
    const before = config.onUnhandledError;
    const thrown: unknown[] = [];
    // rxjs reports a throwing next() on a timer: both reports are awaited before its handler is put back.
    const reported = new Promise<void>((resolve) => {
      config.onUnhandledError = (error) => {
        if (thrown.push(error) === 2) resolve();
      };
    });
    try {
      bus.subscribe('e').subscribe(() => {
        throw new Error('subscriber bug');
      });
      bus.subscribe('e').subscribe((e) => got.push(e.payload));
      transport.receive(event('e', 1), 'p');
      transport.receive(event('e', 2), 'p');
      expect(got).toEqual([1, 2]);
      await reported;
    } finally {
      config.onUnhandledError = before;
    }
    expect(thrown).toEqual([new Error('subscriber bug'), new Error('subscriber bug')]);
  });
});
