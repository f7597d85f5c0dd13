import type { Logger } from '@pipebus/core';
import type { CliIo } from '../io.js';

/** Transport and bus warnings go to stderr, one line each, so stdout stays the data. */
export function cliLogger(io: CliIo): Logger {
  const line = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    io.err(`${level}: ${message}${fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : ''}`);
  return { debug: () => {}, info: () => {}, warn: line('warning'), error: line('error') };
}
