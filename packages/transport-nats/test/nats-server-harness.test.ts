// The test harness's nats-server (@pipebus/test-support): it starts on a free
// loopback port, a nats.js client talks through it, it dies and comes back on
// the same port (the client reconnects), and stop() leaves no process behind.
// The same, through the helper that starts servers for Windows Node under Wine.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type NatsConnection, type Status } from '@nats-io/transport-node';
import { remoteNatsServer, serveNatsControl, startNatsServer, type NatsServerHandle, type NatsServerOptions } from '@pipebus/test-support';

const started: NatsServerHandle[] = [];
const clients: NatsConnection[] = [];

afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
  await Promise.allSettled(started.splice(0).map((s) => s.stop()));
});

let helper: { port: number; close: () => Promise<void> } | undefined;
beforeAll(async () => {
  helper = await serveNatsControl(startNatsServer);
});
afterAll(() => helper?.close());

type Start = (options?: NatsServerOptions) => Promise<NatsServerHandle>;
const starters: Array<[string, Start]> = [
  ['startNatsServer', (options) => startNatsServer(options)],
  ['through the helper (remoteNatsServer)', (options) => remoteNatsServer(`127.0.0.1:${helper!.port}`, options ?? {})],
];

async function client(url: string): Promise<NatsConnection> {
  const c = await connect({ servers: url, reconnectTimeWait: 20, maxReconnectAttempts: -1 });
  clients.push(c);
  return c;
}

/** The next status of `type` on `nc` (statuses are events: no polling). */
async function nextStatus(nc: NatsConnection, type: Status['type']): Promise<Status> {
  for await (const status of nc.status()) if (status.type === type) return status;
  throw new Error(`the connection closed before a '${type}' status`);
}

/** Publishes on a fresh subject and resolves with what the subscription received. */
async function roundTrip(nc: NatsConnection, text: string): Promise<string> {
  const subject = `harness.${Math.random().toString(36).slice(2)}`;
  const received = new Promise<string>((resolve) => nc.subscribe(subject, { max: 1, callback: (_e, msg) => resolve(msg.string()) }));
  await nc.flush();
  nc.publish(subject, text);
  return received;
}

describe.each(starters)('test nats-server: %s', (_name, start) => {
  async function server(options?: NatsServerOptions): Promise<NatsServerHandle> {
    const s = await start(options);
    started.push(s);
    return s;
  }

  it('starts on a free 127.0.0.1 port, carries messages, and stop() leaves no process', async () => {
    const s = await server();
    expect(s.url).toBe(`nats://127.0.0.1:${s.port}`);
    expect(s.port).toBeGreaterThan(0);
    expect(s.version).toMatch(/^\d+\.\d+\.\d+/);
    const pid = s.pid!;
    expect(await s.hasProcess(pid)).toBe(true);
    const nc = await client(s.url);
    expect(await roundTrip(nc, 'hello')).toBe('hello');
    await s.stop();
    expect(await s.hasProcess(pid)).toBe(false);
    expect(s.pid).toBeUndefined();
    await s.stop(); // idempotent
  });

  it('two servers get two ports', async () => {
    const [x, y] = await Promise.all([server(), server()]);
    expect(x.port).not.toBe(y.port);
  });

  it('kill() and restart() keep the port, and a client reconnects and carries on', async () => {
    const s = await server();
    const nc = await client(s.url);
    const firstPid = s.pid!;
    const down = nextStatus(nc, 'disconnect');
    await s.kill();
    expect(await s.hasProcess(firstPid)).toBe(false);
    expect(s.pid).toBeUndefined();
    await down;
    const back = nextStatus(nc, 'reconnect');
    await s.restart();
    expect(s.pid).not.toBe(firstPid);
    expect(s.url).toBe(`nats://127.0.0.1:${s.port}`);
    await back;
    expect(await roundTrip(nc, 'after restart')).toBe('after restart');
    const secondPid = s.pid!;
    await s.stop();
    expect(await s.hasProcess(secondPid)).toBe(false);
    await expect(s.restart()).rejects.toThrow(/was stopped/);
  });

  it('passes max_payload to the server, which announces it to clients', async () => {
    const s = await server({ maxPayload: 4096 });
    const nc = await client(s.url);
    expect(nc.info?.max_payload).toBe(4096);
  });

  it('fails with the server log when the server cannot start', async () => {
    await expect(start({ args: ['--no-such-flag'] })).rejects.toThrow(/nats-server exited .* before it listened; its log:/s);
  });
});
