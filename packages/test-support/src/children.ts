import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/**
 * Entry of a child process that runs a TypeScript file of this repository
 * (transpiled on the fly, '@pipebus/x' mapped to packages/x/src, as jest
 * runs them): `node RUN_TS FILE.ts ARGS...`. Works under Windows Node on Wine.
 */
export const RUN_TS = path.resolve(__dirname, '../fixtures/run-ts.cjs');

/** Runs a TypeScript file in a child process, with an IPC channel and the child's stderr shown. */
export function forkTs(file: string, args: readonly string[], execArgv: string[] = []): ChildProcess {
  return fork(RUN_TS, [file, ...args], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv, execPath: process.execPath });
}

/** The next IPC message from `child` that `accept` takes; rejects if the child exits first. */
export function nextMessage<T>(child: ChildProcess, accept: (message: unknown) => message is T): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      if (!accept(message)) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null, signal: string | null): void => {
      child.off('message', onMessage);
      reject(new Error(`the child process exited (${code ?? signal}) before the expected message`));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
