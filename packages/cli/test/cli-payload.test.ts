import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from '@jest/globals';
import { main } from '../src/index.js';
import { findJsonProblem } from '../src/format/json-position.js';
import { MAX_PAYLOAD_BYTES, readPayloadArg } from '../src/format/payload-source.js';
import { recordingIo } from './cli-io.js';

const dir = mkdtempSync(join(tmpdir(), 'pipebus-cli-payload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const address = (label: string): string => `pipe://cli-p-${process.pid}-${++n}-${label}`;

/**
 * Runs `serve` (echo) and one `request` with these arguments and stdin; returns the request's io.
 * The server is stopped by its signal once the reply is in (`--count` is tested in cli-pipe.test.ts).
 */
async function echoOnce(requestArgs: (addr: string) => string[], stdin?: Iterable<Uint8Array | string>): Promise<ReturnType<typeof recordingIo> & { code: number }> {
  const addr = address('echo');
  const serverIo = recordingIo();
  const serving = main(['serve', addr], serverIo);
  await serverIo.waitForLine(/^serving 'echo' on /);
  const io = recordingIo(stdin === undefined ? undefined : Readable.from(stdin));
  const code = await main(['request', ...requestArgs(addr)], io);
  serverIo.controller.abort();
  await serving;
  return Object.assign(io, { code });
}

describe('payloads from stdin and files', () => {
  it("'-' reads the payload from stdin to EOF, past the shell's ~128 KiB argument limit", async () => {
    const big = { text: 'x'.repeat(300 * 1024) };
    const json = JSON.stringify(big);
    // Several chunks, as a pipe delivers them: all must be read, not the first.
    const chunks = [json.slice(0, 1000), json.slice(1000, 200_000), json.slice(200_000)].map((c) => Buffer.from(c));
    const io = await echoOnce((addr) => [addr, '-'], chunks);
    expect(io.errors).toEqual([]);
    expect(io.code).toBe(0);
    expect(io.lines).toEqual([json]);
  });

  it("'@FILE' reads the payload from a file, and '@@' sends a literal leading '@'", async () => {
    const file = join(dir, 'payload.json');
    writeFileSync(file, '{"from":"file"}\n');
    const fromFile = await echoOnce((addr) => [addr, `@${file}`]);
    expect(fromFile.lines).toEqual(['{"from":"file"}']);
    const literal = await echoOnce((addr) => [addr, '@@home']);
    expect(literal.lines).toEqual(['"@home"']);
  });

  it('refuses a missing file with exit 2, naming the file and the @@ escape', async () => {
    const io = recordingIo();
    expect(await main(['request', 'pipe://never-reached', `@${join(dir, 'missing.json')}`], io)).toBe(2);
    expect(io.errors.join('\n')).toMatch(/cannot read payload file '.*missing\.json' \(ENOENT\).*'@@'/);
  });

  it("refuses a payload above the bus's maximum message size with exit 2, reading no further", async () => {
    let pulled = 0;
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const endless = (function* () {
      for (;;) {
        pulled++;
        yield chunk;
      }
    })();
    const io = recordingIo(Readable.from(endless));
    expect(await main(['pub', 'mailslot://never-reached', 'a.b', '-'], io)).toBe(2);
    expect(io.errors.join('\n')).toMatch(/stdin holds more than the bus's maximum message size \(16777216 bytes, maxMessageSize\)/);
    expect(pulled).toBeLessThan(20 + 16);
    await expect(readPayloadArg('@@' + 'y'.repeat(10), { stdin: Readable.from([]), maxBytes: 5 })).rejects.toThrow(/is 11 bytes, more than/);
    expect(MAX_PAYLOAD_BYTES).toBe(16 * 1024 * 1024);
  });
});

describe('--json', () => {
  it.each([
    ['{"a":}', /line 1, column 6 \(offset 5\)/],
    ['{"a":1', /expected ',' or '}' after a property value at line 1, column 7/],
    ['{\n  "a": 1,\n  b: 2\n}', /expected a property name in double quotes at line 3, column 3/],
    ['hello', /expected a value .* at line 1, column 1/],
  ])('refuses %j with exit 2, naming the position', async (payload, where) => {
    const io = recordingIo();
    expect(await main(['request', 'pipe://never-reached', payload, '--json'], io)).toBe(2);
    const text = io.errors.join('\n');
    expect(text).toMatch(/--json: the payload is not valid JSON/);
    expect(text).toMatch(where);
  });

  it('sends valid JSON as the value; without --json, text that is not JSON still goes as text', async () => {
    expect((await echoOnce((addr) => [addr, '[1, 2]', '--json'])).lines).toEqual(['[1,2]']);
    expect((await echoOnce((addr) => [addr, '{"a":'])).lines).toEqual(['"{\\"a\\":"']);
  });

  it('says in --help that a payload is JSON if it parses, and what --json does', async () => {
    for (const command of ['request', 'pub']) {
      const io = recordingIo();
      expect(await main([command, '--help'], io)).toBe(0);
      expect(io.lines.join('\n')).toMatch(/JSON if it parses[\s\S]*else sent as text[\s\S]*--json/);
    }
  });

  it('finds the first position that is not JSON, agreeing with JSON.parse on what is', () => {
    for (const ok of ['0', '-1.5e3', '"a\\u00e9\\n"', ' [ {"a" : [true, false, null]} ] ']) {
      expect(() => JSON.parse(ok)).not.toThrow();
      expect(findJsonProblem(ok)).toBeUndefined();
    }
    for (const bad of ['01', '[1,]', '"\\x"', '{"a" 1}', '-', '1 2', '"tab\there"', '']) {
      expect(() => JSON.parse(bad)).toThrow();
      expect(findJsonProblem(bad)).toBeDefined();
    }
  });
});

describe('usage errors for addresses and timeouts', () => {
  it.each([
    [['request', 'foo://x', '1'], /'foo:\/\/x' is not a pipe address/],
    [['request', 'pipe://a b', '1'], /a pipe:\/\/ name uses letters/],
    [['serve', 'relative/path'], /'relative\/path' is not a pipe address/],
    [['pub', 'mailslot://', 't', '1'], /mailslot group "" in 'mailslot:\/\/'/],
    [['sub', 'foo://x'], /'foo:\/\/x' is not a pipe address/],
    [['doctor', 'foo://x'], /'foo:\/\/x' is not a pipe address/],
  ])('exits 2 for the malformed address in %j', async (argv, message) => {
    const io = recordingIo();
    expect(await main(argv, io)).toBe(2);
    const text = io.errors.join('\n');
    expect(text).toMatch(message);
    expect(text).toContain(`Usage: pipebus ${argv[0]}`);
  });

  it.each([
    [['--timeout', '-5']],
    [['--timeout=-5']],
    [['--timeout', '0']],
    [['--timeout', '1.5']],
  ])('refuses %j with "--timeout must be a positive number of ms"', async (flags) => {
    const io = recordingIo();
    expect(await main(['request', 'pipe://never-reached', '1', ...flags], io)).toBe(2);
    expect(io.errors.join('\n')).toMatch(/--timeout must be a positive number of ms \(a whole number\), got '(-5|0|1\.5)'/);
    expect(io.errors.join('\n')).not.toMatch(/ambiguous/);
  });

  it('gives --wait and --count the same clear words for a negative value', async () => {
    const wait = recordingIo();
    expect(await main(['request', 'pipe://never-reached', '1', '--wait', '-1'], wait)).toBe(2);
    expect(wait.errors.join('\n')).toMatch(/--wait must be a number of ms, 0 or more \(a whole number\), got '-1'/);
    const count = recordingIo();
    expect(await main(['sub', 'mailslot://x', '--count', '-2'], count)).toBe(2);
    expect(count.errors.join('\n')).toMatch(/--count takes an integer >= 1, got '-2'/);
  });
});
