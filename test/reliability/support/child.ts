import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** Runs TypeScript in a child (transpiled on the fly, '@pipebus/x' mapped to packages/x/src): works under Windows Node on Wine too. */
const RUN_TS = path.resolve(__dirname, '../../../packages/transport-mailslot/test/fixtures/run-ts.cjs');

/** Runs a TypeScript file of this suite in a child process (the repository's sources, as jest runs them), with an IPC channel. */
export function forkTs(file: string, args: readonly string[], execArgv: string[] = []): ChildProcess {
  return fork(RUN_TS, [file, ...args], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv });
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
