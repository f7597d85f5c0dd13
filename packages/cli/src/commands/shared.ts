import type { Logger } from '@pipebus/core';
import type { CliIo } from '../io.js';

/** Transport and bus warnings go to stderr, one line each, so stdout stays the data. */
export function cliLogger(io: CliIo): Logger {
  const line = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    io.err(`${level}: ${message}${fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : ''}`);
  return { debug: () => {}, info: () => {}, warn: line('warning'), error: line('error') };
}

/** Resolves when the signal aborts (Ctrl-C) or `stopped` resolves, whichever comes first. */
export function untilStopped(signal: AbortSignal, stopped: Promise<void>): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return Promise.race([stopped, new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))]);
}

/** A promise with its resolver, for "stop after N" conditions. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Local time with milliseconds, for log lines a person reads. */
export function timestamp(): string {
  return new Date().toISOString().slice(11, 23);
}

/** True for addresses the mailslot transport serves (else the named-pipe one). */
export function isMailslotAddress(address: string): boolean {
  return /^mailslot:\/\//i.test(address) || /^\\\\[^\\]+\\mailslot\\/i.test(address);
}
