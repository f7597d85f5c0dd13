import { describe, expect, it } from '@jest/globals';
import { main } from '../src/index.js';
import { SEED, nativeAvailable, parseReadLine, startNative, uniquePipeName } from '../../../scripts/windows/native/native-programs.js';
import { recordingIo } from './cli-io.js';

let n = 0;
const address = (label: string): string => `pipe://cli-${process.pid}-${++n}-${label}`;

describe('pipebus serve / request over a named pipe', () => {
  it('echoes a JSON request and prints each request it serves', async () => {
    const addr = address('echo');
    const serverIo = recordingIo();
    const serving = main(['serve', addr, '--count', '1'], serverIo);
    await serverIo.waitForLine(/^serving 'echo' on /);
    const clientIo = recordingIo();
    expect(await main(['request', addr, '{"a":[1,2]}'], clientIo)).toBe(0);
    expect(clientIo.lines).toEqual(['{"a":[1,2]}']);
    expect(await serving).toBe(0);
    expect(serverIo.lines.some((l) => /pid \d+.* echo \{"a":\[1,2\]\} -> \{"a":\[1,2\]\}/.test(l))).toBe(true);
  });

  it('with --count, exits only after the last answer has left, however large', async () => {
    const addr = address('count-large');
    const serverIo = recordingIo();
    const serving = main(['serve', addr, '--count', '1'], serverIo);
    await serverIo.waitForLine(/^serving 'echo' on /);
    const big = JSON.stringify({ text: 'x'.repeat(300 * 1024) });
    const clientIo = recordingIo();
    // main() takes the 300 KiB argument directly (a shell would need '-' or @FILE).
    expect(await main(['request', addr, big], clientIo)).toBe(0);
    expect(clientIo.lines).toEqual([big]);
    expect(await serving).toBe(0);
  });

  it('answers with a fixed --reply on a chosen --method', async () => {
    const addr = address('reply');
    const serverIo = recordingIo();
    const serving = main(['serve', addr, '--reply', 'pong', '--method', 'ping.me', '--count', '1'], serverIo);
    await serverIo.waitForLine(/^serving/);
    const clientIo = recordingIo();
    expect(await main(['request', addr, 'hello', '--method', 'ping.me'], clientIo)).toBe(0);
    expect(clientIo.lines).toEqual(['"pong"']);
    await serving;
  });

  it('exits 1 with NO_HANDLER for a method the server does not serve', async () => {
    const addr = address('nohandler');
    const serverIo = recordingIo();
    const serving = main(['serve', addr], serverIo);
    await serverIo.waitForLine(/^serving/);
    const clientIo = recordingIo();
    expect(await main(['request', addr, '1', '--method', 'other'], clientIo)).toBe(1);
    expect(clientIo.errors.join('\n')).toMatch(/^pipebus request: NO_HANDLER: /);
    serverIo.controller.abort();
    expect(await serving).toBe(0);
  });

  it('talks raw bytes: the reply is TEXT plus a NUL, printed with \\0', async () => {
    const addr = address('raw');
    const serverIo = recordingIo();
    const serving = main(['serve', addr, '--raw', '--reply', 'OnNamedPipe Server', '--count', '1'], serverIo);
    await serverIo.waitForLine(/^serving raw bytes/);
    const clientIo = recordingIo();
    expect(await main(['request', addr, 'NAMEDPIPE CLIENT', '--raw'], clientIo)).toBe(0);
    expect(clientIo.lines).toEqual(['OnNamedPipe Server\\0']);
    await serving;
    expect(serverIo.lines.some((l) => l.includes('<- "NAMEDPIPE CLIENT\\0" -> "OnNamedPipe Server\\0"'))).toBe(true);
  });

  it('exits 1 with NOT_FOUND when no server listens, without a stack trace', async () => {
    const io = recordingIo();
    expect(await main(['request', address('missing'), '1'], io)).toBe(1);
    const text = io.errors.join('\n');
    expect(text).toMatch(/NOT_FOUND/);
    // The advice names the CLI's flag, not the library option behind it.
    expect(text).toMatch(/pass --wait MS/);
    expect(text).not.toMatch(/connectTimeout/);
    expect(text).not.toMatch(/\n\s+at /);
  });

  it('doctor says there is no server, and that a live one answers', async () => {
    const addr = address('doctor');
    const missing = recordingIo();
    expect(await main(['doctor', addr], missing)).toBe(1);
    expect(missing.lines.join('\n')).toMatch(/no server[\s\S]*pipebus serve/);
    const serverIo = recordingIo();
    const serving = main(['serve', addr], serverIo);
    await serverIo.waitForLine(/^serving/);
    const live = recordingIo();
    expect(await main(['doctor', addr], live)).toBe(0);
    expect(live.lines.join('\n')).toMatch(/a pipebus server answers at .* \(ping [\d.]+ ms\)/);
    serverIo.controller.abort();
    await serving;
  });
});

const describeNative = nativeAvailable() ? describe : describe.skip;
describeNative('pipebus CLI with the seed C programs (Windows, under Wine)', () => {
  it('serve --raw serves the C client', async () => {
    const name = uniquePipeName('cli-serve');
    const serverIo = recordingIo();
    const serving = main(['serve', name, '--raw', '--reply', 'OnNamedPipe Server', '--count', '1'], serverIo);
    await serverIo.waitForLine(/^serving raw bytes/);
    const client = startNative('pipe-client', [name, '--timeout', '10000']);
    expect(parseReadLine(await client.waitForLine(/^READ /)).bytes).toEqual(SEED.pipeServerMessage);
    expect(await serving).toBe(0);
    expect(serverIo.lines.some((l) => l.includes('<- "NAMEDPIPE CLIENT\\0"'))).toBe(true);
  });

  it('request --raw talks to the C server', async () => {
    const name = uniquePipeName('cli-request');
    const server = startNative('pipe-server', [name, '--timeout', '10000']);
    await server.waitForLine(/^READY/);
    const io = recordingIo();
    expect(await main(['request', name, 'NAMEDPIPE CLIENT', '--raw', '--wait', '5000'], io)).toBe(0);
    expect(io.lines).toEqual(['OnNamedPipe Server\\0']);
    expect(parseReadLine(await server.waitForLine(/^READ /)).bytes).toEqual(SEED.pipeClientMessage);
  });
});
