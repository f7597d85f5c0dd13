import { afterEach, describe, expect, it } from '@jest/globals';
import { firstValueFrom } from 'rxjs';
import { silentLogger } from '@pipebus/core';
import { MailslotTransport } from '@pipebus/transport-mailslot';
import { SEED, nativeAvailable, parseReadLine, startNative, uniqueMailslotName } from '../../../scripts/windows/native/native-programs.js';

// The seed's mailslot programs as console C programs under Wine: pipebus's
// raw mode must read what the C client writes, and reach the C reader.
const describeNative = nativeAvailable() ? describe : describe.skip;

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

describeNative('raw interop with the seed mailslot programs (Windows)', () => {
  it('a pipebus raw reader receives exactly "Bingo is handsome\\0" from the C client', async () => {
    const name = uniqueMailslotName('ms-reader');
    const reader = new MailslotTransport({ address: name, mode: 'read', raw: true, logger: silentLogger });
    closers.push(() => reader.close());
    const received = firstValueFrom(reader.frames$);
    await reader.start();
    const client = startNative('mailslot-client', [name]);
    expect((await client.succeeded()).code).toBe(0);
    expect(Buffer.from((await received).data)).toEqual(SEED.mailslotMessage);
  });

  it('a pipebus raw writer reaches the native C reader', async () => {
    const name = uniqueMailslotName('ms-writer');
    const server = startNative('mailslot-server', [name, '--count', '1', '--timeout', '10000']);
    await server.waitForLine(/^READY/);
    const writer = new MailslotTransport({ address: name, mode: 'write', raw: true, logger: silentLogger });
    closers.push(() => writer.close());
    await writer.start();
    await writer.send(SEED.mailslotMessage);
    expect(parseReadLine(await server.waitForLine(/^READ /)).bytes).toEqual(SEED.mailslotMessage);
    expect((await server.succeeded()).code).toBe(0);
  });
});
