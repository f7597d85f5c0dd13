// The nats-server helper's process (see nats-control.ts), run on Linux by
// scripts/windows/jest.sh: `node fixtures/run-ts.cjs src/nats-control-main.ts`.
// Prints `127.0.0.1:PORT` on its first line; stops its servers on SIGTERM,
// SIGINT, or when its stdin closes (the script that started it ended).
import { serveNatsControl } from './nats-control.js';
import { startNatsServer } from './nats-server.js';

void serveNatsControl(startNatsServer).then(({ port, close }) => {
  process.stdout.write(`127.0.0.1:${port}\n`);
  const end = (): void => void close().finally(() => process.exit(0));
  process.once('SIGTERM', end);
  process.once('SIGINT', end);
  process.stdin.on('end', end).resume();
});
