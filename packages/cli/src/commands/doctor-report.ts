/** How one check of `pipebus doctor` came out: only 'fail' changes the exit code. */
export type Verdict = 'ok' | 'warn' | 'fail';

/** Prints one verdict line, with an indented line of advice when there is something to do. */
export type Report = (verdict: Verdict, what: string, advice?: string) => void;
