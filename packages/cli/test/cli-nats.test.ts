// Every verb over nats://, against a real nats-server on a free loopback port
// (@pipebus/test-support; under Wine, the Linux-side helper starts it). The
// commands run through main(), as cli-pipe.test.ts runs them: each with its
// own bus and its own NATS connection, as separate processes would have.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import { MessageBus, silentLogger } from '@pipebus/core';
import { startNatsServer, type NatsServerHandle } from '@pipebus/test-support';
import { NatsTransport } from '@pipebus/transport-nats';
import { main } from '../src/index.js';
import { recordingIo } from './cli-io.js';
import { onWire, sampleDescription } from './describe-sample.js';

let server: NatsServerHandle;
beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(() => server?.stop());

/** A prefix of its own per test, so that no test hears another's peers. */
let n = 0;
const prefix = (): string => `cli${process.pid}.t${++n}`;

async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string }> {
  const io = recordingIo();
  const code = await main(argv, io);
  return { code, out: io.lines, err: io.errors.join('\n') };
}

/** A port nothing listens on: one the OS just handed out and took back. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('pipebus over nats://', () => {
  it('serve and request: a round trip through two buses on the server, under --nats-prefix', async () => {
    const p = prefix();
    const serverIo = recordingIo();
    const serving = main(['serve', server.url, '--nats-prefix', p, '--method', 'orders.get', '--count', '1'], serverIo);
    await serverIo.waitForLine(/^serving 'orders\.get' on nats:\/\//);
    expect(serverIo.lines[0]).toMatch(new RegExp(`^serving 'orders\\.get' on ${server.url.replace(/[.]/g, '\\.')} \\(subjects under '${p.replace(/[.]/g, '\\.')}\\.'\\) as peer pb-[A-Za-z0-9]+; Ctrl-C to stop$`));
    const asked = await run(['request', server.url, '{"id":7}', '--method', 'orders.get', '--nats-prefix', p]);
    expect(asked.err).toBe('');
    expect(asked.code).toBe(0);
    expect(asked.out).toEqual(['{"id":7}']);
    expect(await serving).toBe(0);
    expect(serverIo.lines.some((l) => / orders\.get \{"id":7\} -> \{"id":7\}$/.test(l))).toBe(true);
  });

  it('a method nobody serves: exit 1 with NO_HANDLER at once (NATS "no responders"), not a timeout', async () => {
    const asked = await run(['request', server.url, '1', '--method', 'nobody.here', '--timeout', '20000', '--nats-prefix', prefix()]);
    expect(asked.code).toBe(1);
    expect(asked.err).toMatch(/^pipebus request: NO_HANDLER: /);
    const described = await run(['describe', server.url, '--timeout', '20000', '--nats-prefix', prefix()]);
    expect(described.code).toBe(1);
    expect(described.err).toMatch(new RegExp(`^pipebus describe: NO_HANDLER: ${server.url.replace(/[.]/g, '\\.')} implements no contract`));
  });

  it('pub reaches a sub on the same prefix, and the pattern filters', async () => {
    const p = prefix();
    const subIo = recordingIo();
    const subscribed = main(['sub', server.url, 'orders.*', '--count', '1', '--nats-prefix', p], subIo);
    await subIo.waitForLine(/^subscribed to 'orders\.\*' on nats:\/\//);
    // Not matched by the pattern: must not be the one line printed.
    expect((await run(['pub', server.url, 'stock.low', '1', '--nats-prefix', p])).code).toBe(0);
    const published = await run(['pub', server.url, 'orders.created', '{"id":1}', '--nats-prefix', p]);
    expect(published).toEqual({ code: 0, out: ['published orders.created'], err: '' });
    expect(await subscribed).toBe(0);
    expect(subIo.lines).toHaveLength(1);
    expect(subIo.lines[0]).toMatch(/ orders\.created \{"id":1\}$/);
  });

  it('describe lists what a service answers on pipebus.describe over NATS', async () => {
    const p = prefix();
    const transport = new NatsTransport({ servers: server.url, prefix: p });
    const bus = new MessageBus(transport, { logger: silentLogger });
    bus.handle('pipebus.describe', () => onWire(sampleDescription()));
    await bus.start();
    try {
      const listed = await run(['describe', server.url, '--nats-prefix', p]);
      expect(listed.err).toBe('');
      expect(listed.code).toBe(0);
      expect(listed.out[0]).toBe(`${server.url} implements 2 contracts`);
      // --to keeps its meaning: a peer id, here the service's on NATS.
      const asked = await run(['describe', server.url, '--to', transport.peerId, '--nats-prefix', p]);
      expect(asked.err).toBe('');
      expect(asked.out[0]).toBe(`${server.url} implements 2 contracts`);
      const unknown = await run(['describe', server.url, '--to', 'pb-nobody', '--timeout', '300', '--nats-prefix', p]);
      expect(unknown.code).toBe(1);
      expect(unknown.err).toMatch(/^pipebus describe: NOT_FOUND: no peer 'pb-nobody' answered on NATS within 300 ms; check the id/);
      const json = await run(['describe', server.url, '--json', '--nats-prefix', p]);
      expect(json.code).toBe(0);
      // --json prints each JSON Schema as an object again (the wire carries it as text).
      expect(JSON.parse(json.out[0]!)).toEqual(sampleDescription());
    } finally {
      await bus.close();
    }
  });

  it('doctor says the server answers, with its version and max_payload, and that pipebus connects', async () => {
    const checked = await run(['doctor', server.url]);
    expect(checked.code).toBe(0);
    const text = checked.out.join('\n');
    expect(text).toContain(`[ok  ] a NATS server answers at ${server.url}: nats-server ${server.version ?? ''}`);
    expect(text).toMatch(/max_payload 1048576 bytes/);
    expect(text).toContain(`[ok  ] pipebus connects to ${server.url} (subjects under 'pipebus.')`);
    // Pipes and mailslots are not what was asked about.
    expect(text).not.toMatch(/runtime directory/);
  });

  it('an unreachable server: exit 1 with the transport NOT_FOUND advice (request), a failed check (doctor)', async () => {
    const url = `nats://127.0.0.1:${await closedPort()}`;
    const asked = await run(['request', url, '1']);
    expect(asked.code).toBe(1);
    expect(asked.err).toMatch(/^pipebus request: NOT_FOUND: no NATS server answered at nats:\/\/127\.0\.0\.1:\d+ .*is nats-server running there\?/);
    expect(asked.err).not.toMatch(/\n\s+at /);
    const served = await run(['serve', url]);
    expect(served.code).toBe(1);
    expect(served.err).toMatch(/^pipebus serve: NOT_FOUND: /);
    const checked = await run(['doctor', url]);
    expect(checked.code).toBe(1);
    expect(checked.out.join('\n')).toMatch(/\[FAIL\] no NATS server answers at nats:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  });

  it.each([
    ['request', 'a malformed URL', ['request', 'nats://127.0.0.1:99999', '1'], /is not a URL; write nats:\/\/HOST:PORT/],
    ['serve', 'a list item without its scheme', ['serve', 'nats://127.0.0.1:4222,other:4222'], /"other:4222" in .* is not a NATS URL/],
    ['sub', 'a URL with a path', ['sub', 'nats://127.0.0.1:4222/x'], /has a path or query/],
    ['pub', 'a prefix with a wildcard', ['pub', 'nats://127.0.0.1:4222', 't', '1', '--nats-prefix', 'a.*'], /--nats-prefix must be dot-separated NATS tokens/],
    ['describe', 'a prefix with an empty token', ['describe', 'nats://127.0.0.1:4222', '--nats-prefix', 'a..b'], /--nats-prefix must be/],
    ['doctor', 'a prefix with a space', ['doctor', 'nats://127.0.0.1:4222', '--nats-prefix', 'my bus'], /--nats-prefix must be/],
    ['request', '--nats-prefix on a pipe', ['request', 'pipe://x', '1', '--nats-prefix', 'p'], /--nats-prefix applies to nats:\/\/ addresses only/],
    ['request', '--raw', ['request', 'nats://127.0.0.1:4222', '1', '--raw'], /--raw has no meaning with a nats:\/\/ address/],
    ['request', '--wait', ['request', 'nats://127.0.0.1:4222', '1', '--wait', '100'], /--wait has no meaning with a nats:\/\/ address/],
    ['serve', '--relay', ['serve', 'nats://127.0.0.1:4222', '--relay'], /--relay has no meaning with a nats:\/\/ address/],
    ['sub', '--raw', ['sub', 'nats://127.0.0.1:4222', '--raw'], /--raw has no meaning with a nats:\/\/ address/],
  ])('%s with %s is a usage error (exit 2), before anything opens', async (verb, _what, argv, message) => {
    // Port 4222 is never dialled: each is refused before a connection is tried.
    const refused = await run(argv);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(new RegExp(`^pipebus ${verb}: `));
    expect(refused.err).toMatch(message);
  });
});
