import { BusError, jsonCodec, matchTopic, validatePattern, validateTopic } from '@pipebus/core';
import { FRAME_TAKEN, Kind, Transport, encodeMessageFrame } from '@pipebus/core/transport-kit';
import type { Interest, PeerId, Route, TransportCapabilities } from '@pipebus/core/transport-kit';

/**
 * One end of an in-memory link that says `capabilities.routed` (as
 * transport-nats does). It records the route of each routed send, each plain
 * send and each interest, so a test sees what the bus tells a routed
 * transport. Two modes:
 * - a pair from {@link routedLoop}: every frame goes to the other end, routed
 *   or not (the bus tests look at what the bus does, not at routing);
 * - an endpoint of a {@link RoutedLoopNetwork}: frames go where the network's
 *   interests say, as NATS subjects would take them (what
 *   `describeRoutedTransportContract` checks).
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
    readonly network?: RoutedLoopNetwork,
  ) {
    super();
    this.capabilities = { duplex: true, broadcast: true, maxFrameSize: 1 << 16, reliable: true, ordered: true, routed: true, ...capabilities };
  }

  protected async doStart(): Promise<void> {
    this.network?.joined(this);
  }

  protected async doClose(): Promise<void> {
    this.network?.left(this);
  }

  protected doSend(frame: Uint8Array, to?: PeerId): Promise<void> {
    this.plainSends++;
    this.#deliver(frame, undefined, to);
    return FRAME_TAKEN;
  }

  protected override doSendRouted(frame: Uint8Array, route: Route, to?: PeerId): Promise<void> {
    this.routes.push(to === undefined ? { ...route } : { ...route, to });
    this.#deliver(frame, route, to);
    return FRAME_TAKEN;
  }

  protected override doInterest(interest: Interest): () => void {
    const withdraw = this.network?.declare(this, interest);
    this.declared++;
    const key = `${interest.kind} ${interest.name}${interest.queue === undefined ? '' : ` [${interest.queue}]`}`;
    this.interests.push(key);
    this.idOf.set(key, interest.id);
    return () => {
      this.interests.splice(this.interests.indexOf(key), 1);
      withdraw?.();
    };
  }

  #deliver(frame: Uint8Array, route: Route | undefined, to: PeerId | undefined): void {
    if (this.network !== undefined) {
      this.network.route(this, frame, route, to);
      return;
    }
    const other = this.other;
    if (other === undefined) return;
    const copy = frame.slice();
    queueMicrotask(() => other.receive(copy, this.id));
  }

  /** A frame from the other end; with `via`, as delivered through that interest. */
  receive(data: Uint8Array, from: string, via?: number): void {
    this.emitFrame(via === undefined ? { data, peer: { id: from } } : { data, peer: { id: from }, via });
  }

  /** A peer of the network came or went. */
  announce(type: 'connected' | 'disconnected', peer: PeerId): void {
    this.emitPeer({ type, peer: { id: peer } });
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

/**
 * Ways to break a {@link RoutedLoopNetwork}, one at a time, so that a test
 * shows each case of the routed contract fails on the transport it guards
 * against.
 */
export type RoutedLoopFault =
  /** A request goes to every endpoint, interested or not. */
  | 'ignoreMethods'
  /** A queue group's members all get each message. */
  | 'ignoreQueues'
  /** Topic interests match by exact name only (no `*`, `>`). */
  | 'noWildcards'
  /** Frames carry no `via`. */
  | 'noVia'
  /** One frame per endpoint, however many of its interests match. */
  | 'onePerEndpoint'
  /** Withdrawing an interest does nothing. */
  | 'keepWithdrawn'
  /** A frame with `to` goes to every endpoint. */
  | 'ignoreTo'
  /** A request nobody declared vanishes (with `noResponders` on). */
  | 'dropUnanswered'
  /** interest() takes names NATS cannot route (whitespace, empty tokens). */
  | 'acceptBadNames';

/** Options of {@link RoutedLoopNetwork}. */
export interface RoutedLoopNetworkOptions {
  /** Answer a request for a method nobody declared with an Error envelope `NO_HANDLER`, as NATS "no responders" makes transport-nats do. */
  readonly noResponders?: boolean;
  /** One way to misbehave, for the contract's own test. */
  readonly fault?: RoutedLoopFault;
}

interface Declared {
  readonly owner: RoutedLoopTransport;
  readonly interest: Interest;
}

/** The id the synthesized NO_HANDLER answers come from, as transport-nats's `nats:no-responders`. */
export const NO_RESPONDERS_PEER = 'loop:no-responders';

/**
 * An in-memory routed network: endpoints that deliver by interest, as core
 * NATS does by subject. A request goes to the endpoints that declared its
 * method; an event to the topic interests that match it (`*`, `>`), one
 * frame per interest with its `via`; a queue group gets each message once
 * (its members in turn); a frame with `to` goes to that peer only; plain
 * `send()` and other kinds without `to` go to every other endpoint. A
 * started endpoint sees the others `connected`. Delivery is a microtask per
 * frame, so one sender's frames arrive in order.
 */
export class RoutedLoopNetwork {
  readonly #open = new Map<PeerId, RoutedLoopTransport>();
  readonly #declared = new Set<Declared>();
  #made = 0;
  #turn = 0;

  constructor(readonly options: RoutedLoopNetworkOptions = {}) {}

  /** A new endpoint of this network, not started. */
  endpoint(capabilities: Partial<TransportCapabilities> = {}): RoutedLoopTransport {
    return new RoutedLoopTransport(`loop-${++this.#made}`, capabilities, this);
  }

  /** Interests declared and not withdrawn, across the network. */
  get interestCount(): number {
    return this.#declared.size;
  }

  joined(endpoint: RoutedLoopTransport): void {
    for (const other of this.#open.values()) {
      other.announce('connected', endpoint.id);
      endpoint.announce('connected', other.id);
    }
    this.#open.set(endpoint.id, endpoint);
  }

  left(endpoint: RoutedLoopTransport): void {
    this.#open.delete(endpoint.id);
    for (const declared of [...this.#declared]) if (declared.owner === endpoint) this.#declared.delete(declared);
    for (const other of this.#open.values()) other.announce('disconnected', endpoint.id);
  }

  /** Checks `interest`'s name as a NATS subject would, records it, and returns its withdrawal. */
  declare(owner: RoutedLoopTransport, interest: Interest): () => void {
    if (this.options.fault !== 'acceptBadNames') checkName(interest);
    const declared: Declared = { owner, interest };
    this.#declared.add(declared);
    return () => {
      if (this.options.fault !== 'keepWithdrawn') this.#declared.delete(declared);
    };
  }

  route(from: RoutedLoopTransport, frame: Uint8Array, route: Route | undefined, to: PeerId | undefined): void {
    if (to !== undefined && this.options.fault !== 'ignoreTo') {
      const target = this.#open.get(to);
      if (target !== undefined) this.#post(target, frame, from.id);
      return;
    }
    if (to !== undefined || route === undefined || !(route.kind === Kind.Request || route.kind === Kind.Event || route.kind === Kind.Cancel)) {
      for (const target of this.#open.values()) if (target !== from) this.#post(target, frame, from.id);
      return;
    }
    if (route.kind === Kind.Cancel) {
      // As P.cancel: every endpoint with a handler; the one holding the id acts.
      const owners = new Set([...this.#declared].filter((d) => d.interest.kind === 'method').map((d) => d.owner));
      for (const target of owners) this.#post(target, frame, from.id);
      return;
    }
    const event = route.kind === Kind.Event;
    if (!event && this.options.fault === 'ignoreMethods') {
      for (const target of this.#open.values()) if (target !== from) this.#post(target, frame, from.id);
      return;
    }
    const matching = [...this.#declared].filter((d) => this.#open.has(d.owner.id) && this.#matches(d.interest, event, route.name));
    const chosen = this.#pickQueues(matching);
    if (chosen.length === 0) {
      if (!event && this.options.noResponders === true && this.options.fault !== 'dropUnanswered') this.#noResponders(from, route.id);
      return;
    }
    const reached = new Set<RoutedLoopTransport>();
    for (const { owner, interest } of chosen) {
      if (this.options.fault === 'onePerEndpoint' && reached.has(owner)) continue;
      reached.add(owner);
      const via = event && this.options.fault !== 'noVia' ? interest.id : undefined;
      this.#post(owner, frame, from.id, via);
    }
  }

  #matches(interest: Interest, event: boolean, name: string): boolean {
    if (!event) return interest.kind === 'method' && interest.name === name;
    if (interest.kind !== 'topic') return false;
    return this.options.fault === 'noWildcards' ? interest.name === name : matchTopic(interest.name, name);
  }

  /** Keeps every interest without a queue, and one member (in turn) of each queue group. */
  #pickQueues(matching: readonly Declared[]): Declared[] {
    if (this.options.fault === 'ignoreQueues') return [...matching];
    const groups = new Map<string, Declared[]>();
    const chosen: Declared[] = [];
    for (const declared of matching) {
      const queue = declared.interest.queue;
      if (queue === undefined) chosen.push(declared);
      else groups.set(queue, [...(groups.get(queue) ?? []), declared]);
    }
    for (const members of groups.values()) chosen.push(members[this.#turn++ % members.length]!);
    return chosen;
  }

  /** What transport-nats does on a 503: an Error envelope NO_HANDLER for the request's id, to the caller. */
  #noResponders(caller: RoutedLoopTransport, id: number): void {
    const payload = { code: 'NO_HANDLER', message: 'no handler for this method is declared on the routed loop (no responders)', origin: 'bus' };
    const frame = encodeMessageFrame({ kind: Kind.Error, id, name: '', payload, headers: undefined }, jsonCodec);
    queueMicrotask(() => caller.receive(frame, NO_RESPONDERS_PEER));
  }

  #post(target: RoutedLoopTransport, frame: Uint8Array, from: PeerId, via?: number): void {
    const copy = frame.slice();
    queueMicrotask(() => target.receive(copy, from, via));
  }
}

/** NATS cannot route a subject with whitespace or an empty token, nor a method with a wildcard: as transport-nats's checkName. */
function checkName(interest: Interest): void {
  try {
    if (interest.kind === 'topic') validatePattern(interest.name);
    else validateTopic(interest.name);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new BusError('INVALID_ARGUMENT', `interest(): ${interest.kind} '${interest.name}' cannot be a NATS subject (${reason}); rename it`, { cause: error });
  }
}
