// nats-server for tests that run where it cannot be started: Windows Node
// under Wine cannot spawn the Linux binary, but it reaches 127.0.0.1 on the
// same machine. So a Linux-side helper (`serveNatsControl`, run by
// scripts/windows/jest.sh) starts, kills, restarts and stops servers on
// request over a loopback TCP connection, one JSON object per line, and
// `startNatsServer` uses it when PIPEBUS_NATS_CONTROL names it. Servers belong
// to the connection that started them: when it closes (the test process
// ended, even by a crash), they are stopped.
import net from 'node:net';
import type { NatsServerHandle, NatsServerOptions } from './nats-types.js';

/** Environment variable naming the helper (`127.0.0.1:PORT`). */
export const NATS_CONTROL_ENV = 'PIPEBUS_NATS_CONTROL';

type Request =
  | { readonly op: 'start'; readonly options: NatsServerOptions }
  | { readonly op: 'kill' | 'restart' | 'stop'; readonly id: number }
  | { readonly op: 'alive'; readonly pid: number; readonly id?: number };

interface Reply {
  readonly error?: string;
  readonly id?: number;
  readonly url?: string;
  readonly port?: number;
  readonly pid?: number | null;
  readonly version?: string | null;
  readonly alive?: boolean;
}

/**
 * Serves control connections on 127.0.0.1 (port 0: the kernel picks);
 * resolves with the port and a function that stops the helper and every
 * server it started. `start` is this package's `startNatsServer`, passed in
 * so that this module does not import the one that imports it.
 */
export async function serveNatsControl(start: (options: NatsServerOptions) => Promise<NatsServerHandle>): Promise<{ port: number; close: () => Promise<void> }> {
  const all = new Set<NatsServerHandle>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const mine = new Map<number, NatsServerHandle>();
    let nextId = 1;
    const answer = (reply: Reply): void => void socket.write(`${JSON.stringify(reply)}\n`);
    const handle = async (request: Request): Promise<Reply> => {
      if (request.op === 'alive') {
        // Asked of the handle when there is one: a helper can itself be a client of another helper.
        const s = request.id === undefined ? undefined : mine.get(request.id);
        return { alive: s === undefined ? processExists(request.pid) : await s.hasProcess(request.pid) };
      }
      if (request.op === 'start') {
        const s = await start(request.options);
        all.add(s);
        const id = nextId++;
        mine.set(id, s);
        return { id, url: s.url, port: s.port, pid: s.pid ?? null, version: s.version ?? null };
      }
      const s = mine.get(request.id);
      if (s === undefined) throw new Error(`no server ${request.id} on this connection`);
      await s[request.op]();
      return { pid: s.pid ?? null };
    };
    // Requests are answered in order, one at a time: the client waits for each answer.
    let queue = Promise.resolve();
    onLines(socket, (line) => {
      queue = queue.then(async () => {
        try {
          answer(await handle(JSON.parse(line) as Request));
        } catch (error) {
          answer({ error: error instanceof Error ? error.message : String(error) });
        }
      });
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      void queue.then(() => Promise.allSettled([...mine.values()].map((s) => s.stop())));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      await Promise.allSettled([...all].map((s) => s.stop()));
    },
  };
}

/** A server started through the helper at `control` (`host:port`), as a {@link NatsServerHandle}. */
export async function remoteNatsServer(control: string, options: NatsServerOptions): Promise<NatsServerHandle> {
  const [host, portText] = splitAddress(control);
  const socket = net.connect(Number(portText), host);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', (error) => reject(new Error(`cannot reach the nats-server helper at ${control} (${NATS_CONTROL_ENV}): ${error.message}`)));
  });
  // Ours alone: the connection's end stops the server, so it must not keep this process open.
  socket.unref();
  const waiting: Array<(reply: Reply) => void> = [];
  onLines(socket, (line) => waiting.shift()?.(JSON.parse(line) as Reply));
  socket.on('close', () => {
    for (const resolve of waiting.splice(0)) resolve({ error: 'the nats-server helper closed the connection' });
  });
  const ask = (request: Request): Promise<Reply> =>
    new Promise<Reply>((resolve, reject) => {
      waiting.push((reply) => (reply.error === undefined ? resolve(reply) : reject(new Error(reply.error))));
      socket.write(`${JSON.stringify(request)}\n`);
    });

  let started: Reply;
  try {
    started = await ask({ op: 'start', options });
  } catch (error) {
    socket.destroy();
    throw error;
  }
  const id = started.id!;
  let pid: number | undefined = started.pid ?? undefined;
  let stopped = false;
  return {
    url: started.url!,
    port: started.port!,
    get pid() {
      return pid;
    },
    version: started.version ?? undefined,
    async kill() {
      pid = (await ask({ op: 'kill', id })).pid ?? undefined;
    },
    async restart() {
      if (stopped) throw new Error('restart(): this nats-server was stopped; start a new one');
      pid = (await ask({ op: 'restart', id })).pid ?? undefined;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        pid = (await ask({ op: 'stop', id })).pid ?? undefined;
      } finally {
        socket.destroy();
      }
    },
    async hasProcess(p: number) {
      if (stopped) return processExistsVia(control, p);
      return (await ask({ op: 'alive', id, pid: p })).alive === true;
    },
  };
}

/** Whether a process with this pid exists on this machine (signal 0 only checks). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `alive` over a fresh connection, for a handle whose own connection is closed. */
async function processExistsVia(control: string, pid: number): Promise<boolean> {
  const [host, port] = splitAddress(control);
  const socket = net.connect(Number(port), host);
  try {
    return await new Promise<boolean>((resolve, reject) => {
      socket.once('error', reject);
      onLines(socket, (line) => resolve((JSON.parse(line) as Reply).alive === true));
      socket.write(`${JSON.stringify({ op: 'alive', pid })}\n`);
    });
  } finally {
    socket.destroy();
  }
}

function splitAddress(control: string): [string, string] {
  const at = control.lastIndexOf(':');
  if (at <= 0 || !/^\d+$/.test(control.slice(at + 1))) throw new Error(`${NATS_CONTROL_ENV} must be HOST:PORT, got ${JSON.stringify(control)}`);
  return [control.slice(0, at), control.slice(at + 1)];
}

/** Calls `onLine` with each newline-terminated line that arrives on `socket`. */
function onLines(socket: net.Socket, onLine: (line: string) => void): void {
  let pending = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    pending += chunk;
    let end: number;
    while ((end = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 1);
      if (line !== '') onLine(line);
    }
  });
}
