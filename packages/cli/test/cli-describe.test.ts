import { afterEach, describe, expect, it } from '@jest/globals';
import { MessageBus, silentLogger } from '@pipebus/core';
import { NamedPipeServer } from '@pipebus/transport-namedpipe';
import { main } from '../src/index.js';
import { recordingIo } from './cli-io.js';
import { onWire, rederive, sampleDescription, type SampleDescription } from './describe-sample.js';

// `pipebus describe` against a server over a real named pipe (a unix socket
// on POSIX). The server side is a plain handler answering a fixed value, so
// that the CLI is tested without @pipebus/contract, with realistic and hostile
// answers alike; only `serveAnswer` changes to test it against implement().
let n = 0;
const address = (label: string): string => `pipe://cli-describe-${process.pid}-${++n}-${label}`;
const servers: MessageBus[] = [];
afterEach(async () => {
  await Promise.allSettled(servers.splice(0).map((bus) => bus.close()));
});

/** What each `pipebus.describe` request asked for, in order. */
const queries: unknown[] = [];

/** A server at a new address whose `pipebus.describe` answers `answer()` as implement() sends it (JSON Schemas as text), or that has no such handler. */
async function serveAnswer(label: string, answer?: () => unknown): Promise<string> {
  const addr = address(label);
  const bus = new MessageBus(new NamedPipeServer({ address: addr, logger: silentLogger }), { logger: silentLogger });
  servers.push(bus);
  if (answer !== undefined) {
    bus.handle('pipebus.describe', (query: unknown) => {
      queries.push(query);
      const a = answer();
      return a instanceof Promise ? a.then(onWire) : onWire(a);
    });
  }
  await bus.start();
  return addr;
}

async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string }> {
  const io = recordingIo();
  const code = await main(argv, io);
  return { code, out: io.lines, err: io.errors.join('\n') };
}

const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;

describe('pipebus describe over a named pipe', () => {
  it('lists each contract and member of a realistic description', async () => {
    const addr = await serveAnswer('human', sampleDescription);
    const { code, out, err } = await run(['describe', addr]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out[0]).toBe(`${addr} implements 2 contracts`);
    expect(out).toContain('inventory 2.1.0  fingerprint 3f2a9c0d11e4b7a8  wire prefix inventory.v2');
    expect(out).toContain('  rpc    reserve          inventory.v2.reserve          input zod  output zod  errors OUT_OF_STOCK');
    expect(out).toContain('  event  stock.*.changed  inventory.v2.stock.*.changed  payload zod');
    expect(out).toContain('audit unversioned  fingerprint 00ff00ff00ff00ff  wire prefix audit');
    expect(out.at(-1)).toBe(`call a method: pipebus request ${addr} PAYLOAD --method inventory.v2.reserve`);
  });

  it('prints the checked description as one line of JSON with --json', async () => {
    const addr = await serveAnswer('json', sampleDescription);
    const { code, out } = await run(['describe', addr, '--json']);
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0]!)).toEqual(sampleDescription());
  });

  it('prints the JSON Schemas with --schemas', async () => {
    const addr = await serveAnswer('schemas', sampleDescription);
    const { code, out } = await run(['describe', addr, '--schemas']);
    expect(code).toBe(0);
    const text = out.join('\n');
    expect(text).toContain('      input (zod):\n        {\n          "$schema": "https://json-schema.org/draft/2020-12/schema",');
    expect(text).toContain('            "qty": {\n              "type": "integer",\n              "exclusiveMinimum": 0\n            }');
  });

  it('exits 1 with NO_HANDLER when the server implements no contract', async () => {
    const addr = await serveAnswer('none');
    const { code, out, err } = await run(['describe', addr]);
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toBe(`pipebus describe: NO_HANDLER: ${addr} implements no contract (or uses a @pipebus/contract older than describe)`);
  });

  it.each([
    ['garbage', () => 'hello', /the answer is the string "hello", expected an object/],
    ['a kind it does not know', () => ({ format: 1, contracts: [{ ...sampleDescription().contracts[1], members: [{ key: 'x', kind: 'query', wire: 'audit.x' }] }] }), /contracts\[0\]\.members\[0\]\.kind is "query"/],
  ])('exits 1 with DECODE_FAILED for %s, naming the field', async (label, answer, message) => {
    const addr = await serveAnswer(label.replace(/ /g, '-'), answer);
    const { code, out, err } = await run(['describe', addr]);
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toMatch(new RegExp(`^pipebus describe: DECODE_FAILED: ${addr}'s answer to pipebus\\.describe is not a pipebus description: `));
    expect(err).toMatch(message);
  });

  it('exits 1 with UNSUPPORTED_VERSION for a newer format, saying to upgrade the CLI', async () => {
    const addr = await serveAnswer('format-2', () => ({ ...sampleDescription(), format: 2 }));
    const { code, out, err } = await run(['describe', addr]);
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toBe(`pipebus describe: UNSUPPORTED_VERSION: ${addr}'s answer to pipebus.describe is a description of format 2, newer than this pipebus reads (1): upgrade @pipebus/cli`);
  });

  it('refuses 10 MB of strings in one line, and prints a 5 MB schema string cut', async () => {
    const huge = 'n'.repeat(10 * 1024 * 1024);
    const inName = await serveAnswer('huge-name', () => {
      const d = sampleDescription();
      d.contracts[0]!.name = huge;
      return d;
    });
    const refused = await run(['describe', inName]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/DECODE_FAILED: .*contracts\[0\]\.name is 10485760 characters long, more than 1024$/);
    expect(refused.err.length).toBeLessThan(400);

    const inSchema = await serveAnswer('huge-schema', () => {
      const d = sampleDescription();
      d.contracts[0]!.members[0]!.input!.jsonSchema!['type'] = huge.slice(0, 5 * 1024 * 1024);
      return d;
    });
    const listed = await run(['describe', inSchema, '--schemas']);
    expect(listed.code).toBe(0);
    expect(listed.out.join('\n').length).toBeLessThan(10_000);
    expect(listed.out.join('\n')).toContain('… (5242880 chars)');
    // Past the bound on one schema's text (8 MiB), the answer is refused, not parsed.
    const tooBig = await serveAnswer('too-big-schema', () => {
      const d = sampleDescription();
      d.contracts[0]!.members[0]!.input!.jsonSchema!['type'] = huge;
      return d;
    });
    const refusedSchema = await run(['describe', tooBig, '--schemas']);
    expect(refusedSchema.code).toBe(1);
    expect(refusedSchema.err).toMatch(/DECODE_FAILED: .*members\[0\]\.input\.jsonSchema is 104\d+ characters long, more than 8388608$/);
  });

  it('shows control characters a peer sent as escapes, in the listing and in --json', async () => {
    const addr = await serveAnswer('control', () => {
      const d = sampleDescription();
      d.contracts[0]!.name = 'inv\u001b]0;owned\u0007\u001b[2J';
      d.contracts[0]!.members[0]!.key = 'reserve\u202e\u0085';
      return rederive(d);
    });
    const listed = await run(['describe', addr]);
    expect(listed.code).toBe(0);
    for (const line of listed.out) expect(line).not.toMatch(RAW_CONTROL);
    expect(listed.out).toContain('inv\\u001b]0;owned\\u0007\\u001b[2J 2.1.0  fingerprint 3f2a9c0d11e4b7a8  wire prefix inv\\u001b]0;owned\\u0007\\u001b[2J.v2');
    const json = await run(['describe', addr, '--json']);
    expect(json.out[0]).not.toMatch(RAW_CONTROL);
    expect((JSON.parse(json.out[0]!) as SampleDescription).contracts[0]!.members[0]!.key).toBe('reserve\u202e\u0085');
  });

  it('exits 1 with TIMEOUT when the answer does not come in --timeout', async () => {
    const addr = await serveAnswer('slow', () => new Promise(() => {}));
    const { code, err } = await run(['describe', addr, '--timeout', '200']);
    expect(code).toBe(1);
    expect(err).toMatch(/^pipebus describe: TIMEOUT: /);
  });

  it('exits 1 with NOT_FOUND when no server listens, pointing at --wait', async () => {
    const { code, err } = await run(['describe', address('missing')]);
    expect(code).toBe(1);
    expect(err).toMatch(/^pipebus describe: NOT_FOUND: /);
    expect(err).toMatch(/pass --wait MS/);
    expect(err).not.toMatch(/\n\s+at /);
  });

  it('shows a failing peer\'s error code and message escaped on stderr (describe and request alike)', async () => {
    const addr = address('remote-error');
    const bus = new MessageBus(new NamedPipeServer({ address: addr, logger: silentLogger }), { logger: silentLogger });
    servers.push(bus);
    const hostile = (): never => {
      throw Object.assign(new Error('boom\u001b]0;owned\u0007\u001b[2J\u202eevil'), { code: 'E\u001b[31m' });
    };
    bus.handle('pipebus.describe', hostile);
    bus.handle('x', hostile);
    await bus.start();
    for (const argv of [['describe', addr], ['request', addr, '1', '--method', 'x']]) {
      const { code, err } = await run(argv);
      expect(code).toBe(1);
      expect(err).toContain('boom\\u001b]0;owned\\u0007\\u001b[2J\\u202eevil');
      expect(err).not.toMatch(RAW_CONTROL);
    }
  });

  it('asks for JSON Schemas only when it prints them, and for one contract with --contract', async () => {
    const addr = await serveAnswer('query', sampleDescription);
    queries.length = 0;
    for (const args of [[], ['--schemas'], ['--json'], ['--contract', 'inventory']]) expect((await run(['describe', addr, ...args])).code).toBe(0);
    expect(queries).toEqual([{ schemas: false }, { schemas: true }, { schemas: true }, { schemas: false, contract: 'inventory' }]);
  });

  it('asks the peer --to names: a pipe client has one, the server', async () => {
    const addr = await serveAnswer('to', sampleDescription);
    expect((await run(['describe', addr, '--to', 'server', '--json'])).code).toBe(0);
    const other = await run(['describe', addr, '--to', 'elsewhere']);
    expect(other.code).toBe(1);
    expect(other.err).toMatch(/NOT_FOUND: a pipe client has one peer, 'server'; got 'elsewhere'/);
  });
});

describe('pipebus describe: usage errors (exit 2)', () => {
  it.each([
    [['describe'], /describe takes one ADDRESS/],
    [['describe', 'pipe://a', 'pipe://b'], /describe takes one ADDRESS/],
    [['describe', 'mailslot://desk'], /describe needs a duplex transport, and a mailslot carries events one way: give the service.s pipe address \(pipe:\/\/name\); to list the members of a mailslot group, run: pipebus doctor mailslot:\/\/desk/],
    [['describe', '\\\\.\\mailslot\\Mymailslot'], /describe needs a duplex transport, and a mailslot carries events one way: give the service.s pipe address \(pipe:\/\/name\)\n/],
    [['describe', 'pipe://a', '--json', '--schemas'], /--schemas has no meaning with --json/],
    [['describe', 'pipe://a', '--timeout', '0'], /--timeout must be a positive number of ms/],
    [['describe', 'pipe://a', '--timout', '10'], /Unknown option '--timout'.* \(did you mean '--timeout'\?\)/],
    [['describe', 'pipe://a', '--schema'], /Unknown option '--schema'.* \(did you mean '--schemas'\?\)/],
    [['describe', 'pipe://a', '--to', ''], /--to takes a peer id/],
    [['describe', 'tcp://a'], /./],
  ])('refuses %j', async (argv, message) => {
    const { code, err } = await run(argv as string[]);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(err).toContain('Usage: pipebus describe ADDRESS');
    expect(err).not.toMatch(/\n\s+at /);
  });
});
