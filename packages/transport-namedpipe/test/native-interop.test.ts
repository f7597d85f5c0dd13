import { afterEach, describe, expect, it } from '@jest/globals';
import { firstValueFrom } from 'rxjs';
import { silentLogger } from '@pipebus/core';
import { NamedPipeClient, NamedPipeServer } from '@pipebus/transport-namedpipe';
import { SEED, nativeAvailable, parseReadLine, startNative, uniquePipeName } from '../../../scripts/windows/native/native-programs.js';

// The seed's MFC programs, as console C programs built with mingw, run under
// Wine beside Windows Node: pipebus's raw mode must talk to them both ways.
// Elsewhere (Linux) there is no native Windows program to talk to.
const describeNative = nativeAvailable() ? describe : describe.skip;

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

describeNative('raw interop with the seed programs (Windows)', () => {
  it('a pipebus raw server serves the C client: reads NAMEDPIPE CLIENT\\0, answers OnNamedPipe Server\\0', async () => {
    const name = uniquePipeName('np-server');
    const server = new NamedPipeServer({ address: name, raw: true, logger: silentLogger });
    closers.push(() => server.close());
    const received = firstValueFrom(server.frames$);
    await server.start();
    const client = startNative('pipe-client', [name, '--timeout', '10000']);
    const frame = await received;
    expect(Buffer.from(frame.data)).toEqual(SEED.pipeClientMessage);
    await server.send(SEED.pipeServerMessage, frame.peer.id);
    const reply = parseReadLine(await client.waitForLine(/^READ /));
    expect(reply.bytes).toEqual(SEED.pipeServerMessage);
    expect((await client.succeeded()).code).toBe(0);
    // The peer is the C program's process, named by GetNamedPipeClientProcessId.
    expect(frame.peer.pid).toBe(client.pid);
  });

  it('a pipebus raw client talks to the C server: writes NAMEDPIPE CLIENT\\0, receives OnNamedPipe Server\\0', async () => {
    const name = uniquePipeName('np-client');
    const cServer = startNative('pipe-server', [name, '--timeout', '10000']);
    await cServer.waitForLine(/^READY/);
    const client = new NamedPipeClient({ address: name, raw: true, connectTimeout: 5000, reconnect: false, logger: silentLogger });
    closers.push(() => client.close());
    const reply = firstValueFrom(client.frames$);
    await client.start();
    await client.send(SEED.pipeClientMessage);
    expect(Buffer.from((await reply).data)).toEqual(SEED.pipeServerMessage);
    const read = parseReadLine(await cServer.waitForLine(/^READ /));
    expect(read.bytes).toEqual(SEED.pipeClientMessage);
    expect((await cServer.succeeded()).code).toBe(0);
  });
});
