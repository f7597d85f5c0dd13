/** A mistake in the command line: printed with the usage, exit code 2, no stack. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parses a non-negative integer option, or explains what is wrong. */
export function intOption(value: string | undefined, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} takes an integer >= ${min}, got '${value}'`);
  return n;
}

/** Parses a millisecond option (an integer >= `min`), with a message that names the unit. */
export function msOption(value: string | undefined, name: string, fallback: number, min: 0 | 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < min) {
    const what = min === 1 ? 'a positive number of ms' : 'a number of ms, 0 or more';
    throw new UsageError(`--${name} must be ${what} (a whole number), got '${value}'`);
  }
  return n;
}
