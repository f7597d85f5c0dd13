// The shapes of the test nats-server, apart from the code that starts one
// locally (nats-server.ts) or through the helper (nats-control.ts), which both use them.

/** Options of `startNatsServer`. */
export interface NatsServerOptions {
  /** The server's `max_payload` in bytes (set through a config file: it has no flag); its default is 1 MiB. */
  readonly maxPayload?: number;
  /** More command-line arguments, appended as given. */
  readonly args?: readonly string[];
}

/** A running nats-server of this process, or of the helper that started it for us (see `startNatsServer`). */
export interface NatsServerHandle {
  /** `nats://127.0.0.1:PORT`; the same after a restart. */
  readonly url: string;
  readonly port: number;
  /** The running server's pid; `undefined` while it is killed. */
  readonly pid: number | undefined;
  /** The server's version, from its log (`2.9.10`). */
  readonly version: string | undefined;
  /** Kills the server (SIGKILL, no goodbye to its clients) and waits until it is gone; the port stays this handle's for {@link NatsServerHandle.restart}. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (killing it first if it runs); resolves once it listens. */
  restart(): Promise<void>;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its directory. Idempotent. */
  stop(): Promise<void>;
  /** Whether a process with this pid exists where the server runs (for "nothing left behind" checks; under Wine, on the Linux side). */
  hasProcess(pid: number): Promise<boolean>;
}
