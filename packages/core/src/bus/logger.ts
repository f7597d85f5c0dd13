/** Where the bus reports what it drops and why. Fields are structured facts. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const noop = (): void => {};

/** A logger that discards everything (for tests that assert on counters). */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/**
 * The default: warnings and errors to stderr, one line each, so a dropped
 * frame in production leaves a trace without any set-up.
 */
export const consoleLogger: Logger = {
  debug: noop,
  info: noop,
  warn: (message, fields) => console.warn(`[pipebus] ${message}`, ...(fields ? [fields] : [])),
  error: (message, fields) => console.error(`[pipebus] ${message}`, ...(fields ? [fields] : [])),
};
