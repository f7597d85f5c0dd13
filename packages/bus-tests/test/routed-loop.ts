import { FRAME_TAKEN, Transport } from '@pipebus/core/transport-kit';
import type { Interest, PeerId, Route, TransportCapabilities } from '@pipebus/core/transport-kit';

/**
 * One end of an in-memory link that says `capabilities.routed` (as
 * transport-nats will): it delivers every frame to the other end, and
 * records the route of each routed send, each plain send and each interest,
 * so a test sees what the bus tells a routed transport.
 */
export class RoutedLoopTransport extends Transport {
  readonly capabilities: TransportCapabilities;
  other: RoutedLoopTransport | undefined;
  /** The route of every sendRouted(), in order. */
  readonly routes: Array<Route & { to?: PeerId }> = [];
  /** Frames sent through plain send(). */
  plainSends = 0;
  /** Interests declared and not withdrawn, as `kind name [queue]`. */
  readonly interests: string[] = [];
  /** How many times doInterest was called. */
  declared = 0;
  /** The bus's id of each interest declared, by its `kind name [queue]`. */
  readonly idOf = new Map<string, number | undefined>();

  constructor(
    readonly id: string,
    capabilities: Partial<TransportCapabilities> = {},
  ) {
    super();
    this.capabilities = { duplex: true, broadcast: true, maxFrameSize: 1 << 16, reliable: true, ordered: true, routed: true, ...capabilities };
  }

  protected async doStart(): Promise<void> {}
  protected async doClose(): Promise<void> {}

  protected doSend(frame: Uint8Array): Promise<void> {
    this.plainSends++;
    this.#deliver(frame);
    return FRAME_TAKEN;
  }

  protected override doSendRouted(frame: Uint8Array, route: Route, to?: PeerId): Promise<void> {
    this.routes.push(to === undefined ? { ...route } : { ...route, to });
    this.#deliver(frame);
    return FRAME_TAKEN;
  }

  protected override doInterest(interest: Interest): () => void {
    this.declared++;
    const key = `${interest.kind} ${interest.name}${interest.queue === undefined ? '' : ` [${interest.queue}]`}`;
    this.interests.push(key);
    this.idOf.set(key, interest.id);
    return () => {
      this.interests.splice(this.interests.indexOf(key), 1);
    };
  }

  #deliver(frame: Uint8Array): void {
    const other = this.other;
    if (other === undefined) return;
    const copy = frame.slice();
    queueMicrotask(() => other.receive(copy, this.id));
  }

  /** A frame from the other end; with `via`, as delivered through that interest. */
  receive(data: Uint8Array, from: string, via?: number): void {
    this.emitFrame(via === undefined ? { data, peer: { id: from } } : { data, peer: { id: from }, via });
  }
}

/** Two routed ends wired to each other: `[client, server]`. */
export function routedLoop(capabilities: Partial<TransportCapabilities> = {}): [RoutedLoopTransport, RoutedLoopTransport] {
  const client = new RoutedLoopTransport('client', capabilities);
  const server = new RoutedLoopTransport('server', capabilities);
  client.other = server;
  server.other = client;
  return [client, server];
}
