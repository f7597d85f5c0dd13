import { describe, expect, it } from '@jest/globals';
import { MessageBus, msgpackCodec, silentLogger } from '@pipebus/core';
import type { BusError } from '@pipebus/core';
import { FRAME_TAKEN, Kind, Transport, decodeMessageFrame, encodeMessageFrame } from '@pipebus/core/transport-kit';
import type { PeerId, Route, TransportCapabilities } from '@pipebus/core/transport-kit';
import { flush, withoutAnnouncements } from './helpers.js';

/**
 * A transport with several responders behind one address (a NATS subject, a
 * queue group): the test plays them, answering from a named peer and
 * reporting peers coming and going.
 */
class SharedSubjectTransport extends Transport {
  readonly capabilities: TransportCapabilities = { duplex: true, broadcast: true, maxFrameSize: 1 << 16, reliable: true, ordered: true };
  readonly sent: Uint8Array[] = [];
  protected async doStart(): Promise<void> {}
  protected async doClose(): Promise<void> {}
  protected doSend(frame: Uint8Array, _to?: PeerId): Promise<void> {
    this.sent.push(frame);
    return FRAME_TAKEN;
  }
  /** `peer` answers the request `id` with one stream value. */
  streamValue(peer: PeerId, id: number, name: string, value: unknown): void {
    this.emitFrame({ data: encodeMessageFrame({ kind: Kind.StreamNext, id, name, payload: value, headers: undefined }, msgpackCodec), peer: { id: peer } });
  }
  peer(type: 'connected' | 'disconnected', id: PeerId): void {
    this.emitPeer({ type, peer: { id }, ...(type === 'disconnected' && { reason: 'no heartbeat' }) });
  }
}

const codecs = new Map([[msgpackCodec.id, msgpackCodec]]);

describe('a stream answered by one of several peers', () => {
  it('fails with TRANSPORT_CLOSED as soon as the peer answering it goes away, not at its timeout', async () => {
    const t = new SharedSubjectTransport();
    const bus = new MessageBus(t, { logger: silentLogger, defaultTimeout: 60_000 });
    await bus.start();
    t.peer('connected', 'svc-1');
    t.peer('connected', 'svc-2');
    t.peer('connected', 'svc-3');
    const values: unknown[] = [];
    let failure: BusError | undefined;
    bus.request$('ticks').subscribe({ next: (v) => values.push(v), error: (e: BusError) => (failure = e) });
    await flush();
    const request = decodeMessageFrame(withoutAnnouncements(t.sent)[0]!, codecs);
    t.streamValue('svc-1', request.id, 'ticks', 1);
    // Another peer leaving says nothing about this stream.
    t.peer('disconnected', 'svc-2');
    expect(failure).toBeUndefined();
    // svc-3 remains: before, a call without `to` failed only when every peer was gone.
    t.peer('disconnected', 'svc-1');
    expect(values).toEqual([1]);
    expect(failure).toMatchObject({ code: 'TRANSPORT_CLOSED', message: expect.stringContaining('the responder svc-1 went away mid-stream: peer svc-1 disconnected (no heartbeat)') });
    await bus.close();
  });

  it('leaves a call without `to` that no peer has answered yet alone while other peers remain', async () => {
    const t = new SharedSubjectTransport();
    const bus = new MessageBus(t, { logger: silentLogger, defaultTimeout: 60_000 });
    await bus.start();
    t.peer('connected', 'svc-1');
    t.peer('connected', 'svc-2');
    let failure: BusError | undefined;
    bus.request$('ticks').subscribe({ error: (e: BusError) => (failure = e) });
    await flush();
    t.peer('disconnected', 'svc-1');
    expect(failure).toBeUndefined();
    await bus.close();
  });
});

/** The same, routed (NATS-like): records each frame's route and `to`. */
class RoutedSharedSubjectTransport extends SharedSubjectTransport {
  override readonly capabilities: TransportCapabilities = { duplex: true, broadcast: true, maxFrameSize: 1 << 16, reliable: true, ordered: true, routed: true };
  readonly routes: { kind: number; to: PeerId | undefined }[] = [];
  protected override doSendRouted(frame: Uint8Array, route: Route, to?: PeerId): Promise<void> {
    this.routes.push({ kind: route.kind, to });
    return this.doSend(frame, to);
  }
  protected override doInterest(): () => void {
    return () => undefined;
  }
}

describe('cancelling a stream answered by one of several peers', () => {
  it('on a routed transport, sends the cancel to the peer answering it (one message, not one to every responder)', async () => {
    const t = new RoutedSharedSubjectTransport();
    const bus = new MessageBus(t, { logger: silentLogger, defaultTimeout: 60_000 });
    await bus.start();
    t.peer('connected', 'svc-1');
    t.peer('connected', 'svc-2');
    const subscription = bus.request$('ticks').subscribe({ error: () => undefined });
    await flush();
    const request = decodeMessageFrame(withoutAnnouncements(t.sent)[0]!, codecs);
    t.streamValue('svc-2', request.id, 'ticks', 1);
    subscription.unsubscribe();
    await flush();
    expect(t.routes).toEqual([
      { kind: Kind.Request, to: undefined },
      { kind: Kind.Cancel, to: 'svc-2' },
    ]);
    await bus.close();
  });

  it('before any answer, and on a transport that is not routed, sends it as the call was sent (without `to`)', async () => {
    const routed = new RoutedSharedSubjectTransport();
    const bus = new MessageBus(routed, { logger: silentLogger, defaultTimeout: 60_000 });
    await bus.start();
    bus.request$('ticks').subscribe({ error: () => undefined }).unsubscribe();
    await flush();
    expect(routed.routes.at(-1)).toEqual({ kind: Kind.Cancel, to: undefined });
    await bus.close();

    // Behind a relaying pipe server the answering peer is the server, which would not pass on a cancel addressed to it.
    const plain = new SharedSubjectTransport();
    const sent: (PeerId | undefined)[] = [];
    const send = plain.send.bind(plain);
    plain.send = (frame: Uint8Array, to?: PeerId) => (sent.push(to), send(frame, to));
    const bus2 = new MessageBus(plain, { logger: silentLogger, defaultTimeout: 60_000 });
    await bus2.start();
    plain.peer('connected', 'server');
    const subscription = bus2.request$('ticks').subscribe({ error: () => undefined });
    await flush();
    plain.streamValue('server', decodeMessageFrame(withoutAnnouncements(plain.sent)[0]!, codecs).id, 'ticks', 1);
    subscription.unsubscribe();
    await flush();
    expect(decodeMessageFrame(plain.sent.at(-1)!, codecs).kind).toBe(Kind.Cancel);
    expect(sent.at(-1)).toBeUndefined();
    await bus2.close();
  });
});
