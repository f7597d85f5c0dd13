import type { ByteSource } from './format/payload-source.js';

/** Where a command writes, and how it learns it should stop (tests pass their own). */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Aborted when the user asks long-running commands (serve, sub) to stop. */
  readonly signal: AbortSignal;
  /** What a `-` PAYLOAD reads (to EOF); `process.stdin` when absent. */
  readonly stdin?: ByteSource;
}

/** The process's own streams; SIGINT/SIGTERM abort the signal. */
export function processIo(): CliIo {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    signal: controller.signal,
    stdin: process.stdin,
  };
}
