import { BusError, type TransportCapabilities } from '@pipebus/core';
import { checkKnownKeys } from '@pipebus/core/transport-kit';
import { VirtualClock } from '../clock/virtual-clock.js';
import { matchesFilter, namesEndpoint, type FaultFilter } from '../faults/fault-filter.js';
import { FaultInjector, type FaultPolicy } from '../faults/fault-injector.js';
import type { MutableTrafficEntry, TrafficEntry } from '../traffic/traffic-entry.js';
import { MAILSLOT_CAPABILITIES, NAMED_PIPE_CAPABILITIES } from '../transport/capabilities.js';
import { MockTransport } from '../transport/mock-transport.js';
import { ClientEndpoint } from './client-endpoint.js';
import { CONNECT_OPTION_KEYS, JOIN_OPTION_KEYS, LISTEN_OPTION_KEYS } from './endpoint-options.js';
import type { ConnectOptions, EndpointOptions, JoinOptions, ListenOptions } from './endpoint-options.js';
import { ListenerEndpoint } from './listener-endpoint.js';
import { MemberEndpoint } from './member-endpoint.js';
import { Switchboard } from './switchboard.js';

/** Options of a {@link MockNetwork}. */
export interface MockNetworkOptions {
  /** The clock delays and connect waits run on. Default: a new `VirtualClock` at 0. */
  readonly clock?: VirtualClock;
  /** Seed of the fault generator: the same seed gives the same faults. Default 1. */
  readonly seed?: number;
  /** Default per-link capacity in frames (see {@link EndpointOptions.linkCapacity}). Default unlimited. */
  readonly linkCapacity?: number;
}

/**
 * An in-memory network of named endpoints, with virtual time, fault injection
 * and a record of every frame. Build one per test: nothing is shared through
 * process globals, so tests cannot leak into each other.
 *
 * Frames are delivered asynchronously but without time passing (one
 * microtask per frame, in order per link), so `await`-based tests need no
 * clock pumping; only delays and connect waits run on {@link MockNetwork.clock}.
 *
 * @example
 * ```ts
 * const network = new MockNetwork({ seed: 7 });
 * const server = network.listen('orders');
 * const client = network.connect('orders');
 * await server.start(); await client.start();
 * network.dropNext();                                // the next frame is lost
 * await client.send(new Uint8Array([1]));
 * expect(network.traffic.map((t) => t.fate)).toEqual(['dropped']);
 * ```
 */
export class MockNetwork {
  /** The network's time source; pass it to the code under test too. */
  readonly clock: VirtualClock;
  /** The seed the fault generator started from. */
  readonly seed: number;
  readonly #faults: FaultInjector;
  readonly #board: Switchboard;
  #traffic: MutableTrafficEntry[] = [];
  #seq = 0;

  constructor(options: MockNetworkOptions = {}) {
    checkKnownKeys('MockNetwork', options, NETWORK_OPTION_KEYS);
    this.clock = options.clock ?? new VirtualClock();
    this.seed = options.seed ?? 1;
    this.#faults = new FaultInjector(this.seed);
    const capacity = options.linkCapacity === undefined ? Infinity : validCapacity(options.linkCapacity);
    this.#board = new Switchboard(this.clock, this.#faults, capacity, (entry) => {
      const recorded: MutableTrafficEntry = { seq: ++this.#seq, time: this.clock.now(), ...entry };
      this.#traffic.push(recorded);
      return recorded;
    });
  }

  /**
   * A named-pipe server at `address`; its peers are the clients connected to
   * it. `start()` rejects `ADDRESS_IN_USE` while another listener holds the
   * address. `send(frame, to)` reaches one client (`NOT_FOUND` if unknown),
   * `send(frame)` every client.
   */
  listen(address: string, options: ListenOptions = {}): MockTransport {
    checkKnownKeys('MockNetwork.listen()', options, LISTEN_OPTION_KEYS);
    validName('address', address);
    const pid = this.#pid(options);
    // server: as a named-pipe server's, its bus routes events by what its clients announce.
    return new MockTransport(this.#capabilities({ ...NAMED_PIPE_CAPABILITIES, server: true }, options), (port) =>
      new ListenerEndpoint(address, port, this.#board, pid, capacityOf(options)),
    );
  }

  /**
   * A named-pipe client of the listener at `address`; its one peer is
   * `server:<address>`. `start()` rejects `NOT_FOUND` when nobody listens,
   * or waits up to `options.waitMs` of virtual time for a listener. The
   * client keeps its peer id (`name#n`) across reconnects, so tests can
   * follow one client through a disconnect.
   */
  connect(address: string, options: ConnectOptions = {}): MockTransport {
    checkKnownKeys('MockNetwork.connect()', options, CONNECT_OPTION_KEYS);
    validName('address', address);
    const name = options.name ?? 'client';
    validName('name', name);
    if (options.waitMs !== undefined && !(Number.isFinite(options.waitMs) && options.waitMs >= 0)) {
      throw new BusError('INVALID_ARGUMENT', `waitMs must be a non-negative number of ms, got ${options.waitMs}`);
    }
    const setup = {
      id: this.#board.nextId(name),
      pid: this.#pid(options),
      linkCapacity: capacityOf(options),
      waitMs: options.waitMs,
      reconnect: options.reconnect ?? false,
    };
    return new MockTransport(this.#capabilities(NAMED_PIPE_CAPABILITIES, options), (port) => new ClientEndpoint(address, port, this.#board, setup));
  }

  /**
   * A member of the mailslot-style group at `address`: every frame a member
   * sends reaches every other started member (never itself); `send` with a
   * `to` rejects `NOT_SUPPORTED`.
   */
  join(address: string, options: JoinOptions = {}): MockTransport {
    checkKnownKeys('MockNetwork.join()', options, JOIN_OPTION_KEYS);
    validName('address', address);
    const name = options.name ?? 'member';
    validName('name', name);
    const id = this.#board.nextId(name);
    const pid = this.#pid(options);
    return new MockTransport(this.#capabilities(MAILSLOT_CAPABILITIES, options), (port) =>
      new MemberEndpoint(address, port, this.#board, id, pid, capacityOf(options)),
    );
  }

  // --- faults ---------------------------------------------------------------------

  /**
   * Applies random faults to every frame on the links `filter` selects (all
   * links without one). Rules add up; where several match a link, the one
   * set last applies.
   *
   * @example
   * ```ts
   * network.setFaults({ drop: 0.1, delay: { min: 1, max: 20 } }, { to: 'orders' });
   * ```
   */
  setFaults(policy: FaultPolicy, filter?: FaultFilter): void {
    this.#faults.setPolicy(policy, filter);
  }

  /** Removes every fault policy and every armed one-shot fault. */
  clearFaults(): void {
    this.#faults.clear();
  }

  /** Loses the next `n` frames on the links `filter` selects. */
  dropNext(n = 1, filter?: FaultFilter): void {
    this.#faults.armOneShot('drop', n, filter);
  }

  /** Delivers each of the next `n` matching frames twice. */
  duplicateNext(n = 1, filter?: FaultFilter): void {
    this.#faults.armOneShot('duplicate', n, filter);
  }

  /**
   * Holds the next matching frame and delivers it right after the one that
   * follows it on its link — or, if none follows before the clock next runs
   * timers, at that point (then it is not recorded as reordered).
   */
  reorderNext(filter?: FaultFilter): void {
    this.#faults.armOneShot('reorder', 1, filter);
  }

  /** Flips one byte (chosen by the seeded generator) of the next matching non-empty frame. */
  corruptNext(filter?: FaultFilter): void {
    this.#faults.armOneShot('corrupt', 1, filter);
  }

  /**
   * Severs links, as a crashed server or a broken pipe would. `target` is a
   * listener's address (all its clients) or a client's peer id (that one).
   * Both sides see the peer 'disconnected'; frames in flight are lost and
   * sends reject `TRANSPORT_CLOSED`. A client then closes, or — if created
   * with `{ reconnect: true }` — goes `reconnecting` until {@link MockNetwork.restore}
   * (or a listener restarting at the address) lets it back to `open`.
   * Resolves once the disconnected clients have closed or parked.
   */
  disconnect(target: string): Promise<void> {
    return this.#board.disconnect(target);
  }

  /** Lifts a {@link MockNetwork.disconnect}: waiting clients reconnect, with peer events on both sides. */
  async restore(target: string): Promise<void> {
    this.#board.restore(target);
  }

  // --- traffic record ----------------------------------------------------------------

  /** Every frame offered to a link since the last {@link MockNetwork.clearTraffic}, in order. */
  get traffic(): readonly TrafficEntry[] {
    return this.#traffic;
  }

  /** Empties the traffic record (sequence numbers keep counting). */
  clearTraffic(): void {
    this.#traffic = [];
  }

  /**
   * Traffic from `from` to `to` — each an address, a peer id, or a name
   * prefix (`'client'` for every `client#n`); omit one to match any.
   */
  framesBetween(from?: string, to?: string): readonly TrafficEntry[] {
    return this.#traffic.filter((t) => (from === undefined || namesEndpoint(from, t.from)) && (to === undefined || namesEndpoint(to, t.to)));
  }

  /** Traffic on the links a {@link FaultFilter} selects. */
  trafficMatching(filter: FaultFilter): readonly TrafficEntry[] {
    return this.#traffic.filter((t) => matchesFilter(filter, t));
  }

  #capabilities(preset: TransportCapabilities, options: EndpointOptions): TransportCapabilities {
    const capabilities = { ...preset, ...options.capabilities };
    if (!(Number.isInteger(capabilities.maxFrameSize) && capabilities.maxFrameSize > 0)) {
      throw new BusError('INVALID_ARGUMENT', `capabilities.maxFrameSize must be a positive whole number of bytes, got ${capabilities.maxFrameSize}`);
    }
    return capabilities;
  }

  #pid(options: EndpointOptions): number {
    return options.pid ?? this.#board.nextPid();
  }
}

const NETWORK_OPTION_KEYS: ReadonlySet<string> = new Set(['clock', 'seed', 'linkCapacity']);

function validName(what: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0 || value.includes('#')) {
    throw new BusError('INVALID_ARGUMENT', `${what} must be a non-empty string without '#' (it is used in peer ids), got ${JSON.stringify(value)}`);
  }
}

function validCapacity(capacity: number): number {
  if (!(capacity === Infinity || (Number.isInteger(capacity) && capacity >= 1))) {
    throw new BusError('INVALID_ARGUMENT', `linkCapacity must be a whole number of frames >= 1 (or Infinity), got ${capacity}`);
  }
  return capacity;
}

function capacityOf(options: EndpointOptions): number | undefined {
  return options.linkCapacity === undefined ? undefined : validCapacity(options.linkCapacity);
}
