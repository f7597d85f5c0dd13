import { Transport, type InboundFrame, type PeerEvent, type PeerId, type PeerInfo, type TransportCapabilities, type TransportState } from '@pipebus/core/transport-kit';

/** Which role a mock transport plays on its network. */
export type MockEndpointKind = 'listener' | 'client' | 'member';

/** A `dropPeer` call, kept so tests can assert on what the code under test did. */
export interface DroppedPeer {
  readonly peer: PeerId;
  readonly reason: string;
}

/**
 * The protected powers of a {@link MockTransport}, handed to its endpoint so
 * the network can drive the transport without making them public.
 */
export interface MockTransportPort {
  deliver(frame: InboundFrame): void;
  peer(event: PeerEvent): void;
  state(state: TransportState): void;
  close(): Promise<void>;
}

/** The network side of a {@link MockTransport}: one per role. */
export interface MockEndpoint {
  readonly kind: MockEndpointKind;
  /** The address listened on, connected to or joined. */
  readonly address: string;
  /** The endpoint's name in filters and the traffic record. */
  readonly id: PeerId;
  /** The fake process id peers see. */
  readonly pid: number;
  /** `doStart` of the transport; may set state `open` itself before peers arrive. */
  start(): Promise<void>;
  /** `doSend` of the transport: the frame is already validated by the base class. */
  send(frame: Uint8Array, to: PeerId | undefined): Promise<void>;
  /** `doClose` of the transport; called once. */
  close(): Promise<void>;
  /** Cuts one peer's link, where the role has per-peer links. */
  dropPeer(peer: PeerId, reason: string): void;
  /** Peers connected right now. */
  peers(): readonly PeerInfo[];
}

/**
 * An in-memory {@link Transport} on a `MockNetwork`. Get one from
 * `network.listen()`, `network.connect()` or `network.join()`; the
 * constructor is for the network.
 *
 * It behaves like the real transport of its role — same validation, same
 * errors, same lifecycle — so code tested against it needs no changes to run
 * on named pipes or mailslots.
 */
export class MockTransport extends Transport {
  /** What this transport reports it can do (the role's preset, plus overrides). */
  readonly capabilities: TransportCapabilities;
  /** Every `dropPeer` call, in order, whether or not the peer was connected. */
  readonly dropped: DroppedPeer[] = [];
  readonly #endpoint: MockEndpoint;

  /** @param bind builds this transport's endpoint from the transport's port. */
  constructor(capabilities: TransportCapabilities, bind: (port: MockTransportPort) => MockEndpoint) {
    super();
    this.capabilities = Object.freeze({ ...capabilities });
    this.#endpoint = bind({
      deliver: (frame) => this.emitFrame(frame),
      peer: (event) => this.emitPeer(event),
      state: (state) => this.setState(state),
      close: () => this.close(),
    });
  }

  /** `listener`, `client` or `member` (of a mailslot group). */
  get kind(): MockEndpointKind {
    return this.#endpoint.kind;
  }

  /** The address this transport listens on, connects to or joined. */
  get address(): string {
    return this.#endpoint.address;
  }

  /**
   * This endpoint's name on the network, used by fault filters, the traffic
   * record and `network.disconnect`: the address for a listener, the peer id
   * (`client#1`) for a client or member.
   */
  get id(): PeerId {
    return this.#endpoint.id;
  }

  /** The fake process id peers see for this endpoint. */
  get pid(): number {
    return this.#endpoint.pid;
  }

  /** Peers connected right now (a listener's clients, a client's server; none for a mailslot). */
  get peers(): readonly PeerInfo[] {
    return this.#endpoint.peers();
  }

  /** Disconnects one client of a listener (it may reconnect, if it was made to) and records the call in {@link MockTransport.dropped}. */
  override dropPeer(peer: PeerId, reason: string): void {
    this.dropped.push({ peer, reason });
    this.#endpoint.dropPeer(peer, reason);
  }

  protected doStart(): Promise<void> {
    return this.#endpoint.start();
  }

  protected doSend(frame: Uint8Array, to?: PeerId): Promise<void> {
    return this.#endpoint.send(frame, to);
  }

  protected doClose(): Promise<void> {
    return this.#endpoint.close();
  }
}
