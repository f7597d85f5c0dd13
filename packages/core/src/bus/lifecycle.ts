/**
 * Whether a bus is started, starting or closed: the one state every part
 * reads (a closed bus sends nothing) and only the façade changes.
 *
 * Room for: a new lifecycle step (draining before close, say) that parts
 * must respect.
 */
import { BusError } from '../errors/bus-error.js';
import type { Transport } from '../transport/index.js';

/** The start and close state of one bus (internal to the bus). */
export class BusLifecycle {
  /** True once the bus closed, or its transport did; never false again. */
  closed = false;
  #starting: Promise<void> | undefined;

  constructor(private readonly transport: Transport) {}

  /** Starts the transport once; a failed start may be tried again. */
  start(): Promise<void> {
    if (this.closed) return Promise.reject(new BusError('TRANSPORT_CLOSED', 'this bus is closed; create a new one'));
    this.#starting ??= this.transport.start().catch((error: unknown) => {
      this.#starting = undefined;
      throw error;
    });
    return this.#starting;
  }

  /**
   * True when a frame can be sent now, without waiting for start(): the
   * common case, where a request sends at once instead of after a `then`.
   */
  get ready(): boolean {
    return this.#starting !== undefined && this.transport.state === 'open';
  }
}
