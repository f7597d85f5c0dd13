/**
 * The exit codes of `pipebus`, as `--help` states them. Scripts switch on
 * these, so each keeps its meaning.
 */
export const EXIT = {
  /** The command did what it was asked (doctor: nothing failed). */
  OK: 0,
  /** The operation failed; the error code is printed (doctor: a check failed). */
  FAILED: 1,
  /** The command line was wrong; the help is printed. */
  USAGE: 2,
} as const;

/** One of {@link EXIT}'s values. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
