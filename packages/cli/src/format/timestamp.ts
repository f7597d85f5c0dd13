/** Local time with milliseconds, for log lines a person reads. */
export function timestamp(): string {
  return new Date().toISOString().slice(11, 23);
}
