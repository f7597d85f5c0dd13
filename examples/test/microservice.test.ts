import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startNatsServer, type NatsServerHandle } from '@pipebus/test-support';
import { childLine as line, runBuilt } from './run-built.js';

/** The transcript of the shop client, the same whichever transport carried it. */
function expectShopTranscript(out: string): void {
  expect(out).toMatch(line('shop', String.raw`stock\('tea'\) +\{"item":"tea","count":10\}$`));
  expect(out).toMatch(line('shop', String.raw`report\(\) +\[\{"item":"tea","count":8\},\{"item":"coffee","count":3\}\]$`));
  expect(out).toMatch(line('shop', String.raw`refused: OUT_OF_STOCK +"3 coffee left"$`));
  expect(out).toMatch(line('shop', String.raw`refused: UNKNOWN_ITEM +"milk"$`));
  expect(out).toMatch(line('shop', String.raw`refused: INVALID_ARGUMENT +\[\{"path":"quantity",`));
  expect(out).toMatch(line('shop', String.raw`events seen on 'stock\.\*\.changed' +\["stock\.tea\.changed -> 8"\]$`));
  expect(out).toContain('Done.');
}

// What users copy must keep working: the built example, run as `pnpm example:microservice` runs it.
describe('pnpm example:microservice: a service and a client sharing one contract, over a named pipe', () => {
  it('calls, streams, receives the event, and gets the declared errors typed', async () => {
    const { code, out } = await runBuilt('microservice/run.js');
    expect({ code, out }).toMatchObject({ code: 0 });
    expect(out).toMatch(line('inventory', String.raw`reserved 2 tea for pid \d+; 8 left$`));
    expectShopTranscript(out);
  }, 160_000);
});

// The README's "Across machines" promise: the same two programs over NATS, by their address alone.
describe('pnpm example:microservice nats://…: the same pair over NATS', () => {
  let server: NatsServerHandle | undefined;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('gives the same transcript, the caller named by its (self-declared) NATS peer id', async () => {
    const { code, out } = await runBuilt('microservice/run.js', [server!.url]);
    expect({ code, out }).toMatchObject({ code: 0 });
    expect(out).toContain(`microservice example: two processes over ${server!.url}`);
    expect(out).toMatch(line('inventory', String.raw`ready on nats://127\.0\.0\.1:\d+$`));
    expect(out).toMatch(line('inventory', String.raw`reserved 2 tea for peer [A-Za-z0-9_-]+; 8 left$`));
    expectShopTranscript(out);
  }, 160_000);
});
