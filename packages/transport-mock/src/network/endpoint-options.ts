import type { TransportCapabilities } from '@pipebus/core';

/** Options every mock transport takes. */
export interface EndpointOptions {
  /** Overrides of the role's capability preset (e.g. `{ maxFrameSize: 64 }`). */
  readonly capabilities?: Partial<TransportCapabilities>;
  /**
   * Frames this endpoint may have in flight per link before `send` waits
   * (backpressure). Default: the network's `linkCapacity`, else unlimited.
   */
  readonly linkCapacity?: number;
  /** The fake process id peers see. Default: a distinct number per endpoint. */
  readonly pid?: number;
}

/** Options of `MockNetwork.listen`. */
export type ListenOptions = EndpointOptions;

/** Options of `MockNetwork.connect`. */
export interface ConnectOptions extends EndpointOptions {
  /** Prefix of the client's peer id (`name#n`), for filters and logs. Default `client`. */
  readonly name?: string;
  /**
   * Virtual ms `start()` waits for a listener to appear, like `WaitNamedPipe`.
   * Without it, `start()` rejects `NOT_FOUND` at once when nobody listens.
   */
  readonly waitMs?: number;
  /**
   * After a lost link, go to `reconnecting` and reconnect when the listener is
   * reachable again, instead of closing. Default false.
   */
  readonly reconnect?: boolean;
}

/** Options of `MockNetwork.join`. */
export interface JoinOptions extends EndpointOptions {
  /** Prefix of the member's peer id (`name#n`). Default `member`. */
  readonly name?: string;
}

/** Every key of {@link ListenOptions}: a misspelt one fails, naming the closest (see `checkKnownKeys`). */
export const LISTEN_OPTION_KEYS: ReadonlySet<string> = new Set(['capabilities', 'linkCapacity', 'pid']);
/** Every key of {@link ConnectOptions}. */
export const CONNECT_OPTION_KEYS: ReadonlySet<string> = new Set([...LISTEN_OPTION_KEYS, 'name', 'waitMs', 'reconnect']);
/** Every key of {@link JoinOptions}. */
export const JOIN_OPTION_KEYS: ReadonlySet<string> = new Set([...LISTEN_OPTION_KEYS, 'name']);
