import { describe, expect, it } from '@jest/globals';
import { MessageBus, silentLogger } from '../src/bus/index.js';
import type { MessageKindName } from '../src/bus/index.js';
import { msgpackCodec } from '../src/codec/index.js';
import { Kind, encodeMessageFrame } from '../src/envelope/index.js';
import { Transport } from '../src/transport/index.js';
import type { TransportCapabilities } from '../src/transport/index.js';

/** One peer whose frames the test hands in; what the bus sends is discarded. */
class OnePeerTransport extends Transport {
  readonly capabilities: TransportCapabilities = { duplex: true, broadcast: false, maxFrameSize: 1 << 20, reliable: true, ordered: true };
  protected async doStart(): Promise<void> {}
  protected async doSend(): Promise<void> {}
  protected async doClose(): Promise<void> {}
  receive(kind: Kind, id: number, name: string): void {
    this.emitFrame({ data: encodeMessageFrame({ kind, id, name, payload: null, headers: undefined }, msgpackCodec), peer: { id: 'peer-1' } });
  }
}

describe('the kinds inbound middleware sees', () => {
  it('shows a hello as a hello, not as a request', async () => {
    const transport = new OnePeerTransport();
    const bus = new MessageBus(transport, { logger: silentLogger });
    const seen: MessageKindName[] = [];
    bus.use({ inbound: (message) => void seen.push(message.kind) });
    await bus.start();
    transport.receive(Kind.Hello, 0, '');
    await bus.close();
    expect(seen).toEqual(['hello']);
  });

  it('names every envelope kind after Kind itself, kebab-cased', async () => {
    const transport = new OnePeerTransport();
    const bus = new MessageBus(transport, { logger: silentLogger });
    const seen: MessageKindName[] = [];
    // Seen and dropped: nothing reaches a handler, so no answer is needed.
    bus.use({ inbound: (message) => void seen.push(message.kind) });
    await bus.start();
    for (const kind of Object.values(Kind)) transport.receive(kind, kind, 'a');
    await bus.close();
    expect(seen).toEqual(['request', 'response', 'error', 'event', 'cancel', 'stream-next', 'stream-end', 'hello', 'ping', 'pong']);
  });
});
