import { describe, expect, it } from '@jest/globals';
import { main } from '../src/index.js';
import { SEED, nativeAvailable, parseReadLine, startNative, uniqueMailslotName } from '../../../scripts/windows/native/native-programs.js';
import { recordingIo } from './cli-io.js';

let n = 0;
const group = (label: string): string => `mailslot://cli-${process.pid}-${++n}-${label}`;

describe('pipebus pub / sub over a mailslot group', () => {
  it('sub prints the events matching its pattern and exits after --count', async () => {
    const address = group('pubsub');
    const subIo = recordingIo();
    const subscribed = main(['sub', address, 'orders.>', '--count', '2'], subIo);
    await subIo.waitForLine(/^subscribed to 'orders.>'/);
    for (const [topic, payload] of [['orders.eu.created', '{"id":1}'], ['billing.paid', '2'], ['orders.us.created', '"three"']] as const) {
      const pubIo = recordingIo();
      expect(await main(['pub', address, topic, payload], pubIo)).toBe(0);
      expect(pubIo.lines).toEqual([`published ${topic}`]);
    }
    expect(await subscribed).toBe(0);
    expect(subIo.lines.map((l) => l.replace(/^\S+ /, ''))).toEqual(['orders.eu.created {"id":1}', 'orders.us.created "three"']);
  });

  it('pub refuses a topic with a wildcard, with exit code 1 and the code', async () => {
    const io = recordingIo();
    expect(await main(['pub', group('bad'), 'orders.*', '1'], io)).toBe(1);
    expect(io.errors.join('\n')).toMatch(/INVALID_ARGUMENT: .*wildcard/);
  });
});

const describeNative = nativeAvailable() ? describe : describe.skip;
describeNative('pipebus pub/sub --raw with the seed C programs (Windows, under Wine)', () => {
  it('sub --raw prints what the C client writes, trailing NUL as \\0', async () => {
    const name = uniqueMailslotName('cli-sub');
    const io = recordingIo();
    const reading = main(['sub', name, '--raw', '--count', '1'], io);
    await io.waitForLine(/^reading /);
    expect((await startNative('mailslot-client', [name]).succeeded()).code).toBe(0);
    expect(await reading).toBe(0);
    expect(io.lines).toEqual(['Bingo is handsome\\0']);
  });

  it('pub --raw reaches the C reader', async () => {
    const name = uniqueMailslotName('cli-pub');
    const server = startNative('mailslot-server', [name, '--count', '1', '--timeout', '10000']);
    await server.waitForLine(/^READY/);
    const io = recordingIo();
    expect(await main(['pub', name, 'Bingo is handsome', '--raw'], io)).toBe(0);
    expect(parseReadLine(await server.waitForLine(/^READ /)).bytes).toEqual(SEED.mailslotMessage);
  });
});
