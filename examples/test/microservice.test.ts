import { describe, expect, it } from '@jest/globals';
import { childLine as line, runBuilt } from './run-built.js';

// What users copy must keep working: the built example, run as `pnpm example:microservice` runs it.
describe('pnpm example:microservice: a service and a client sharing one contract, over a named pipe', () => {
  it('calls, streams, receives the event, and gets the declared errors typed', async () => {
    const { code, out } = await runBuilt('microservice/run.js');
    expect({ code, out }).toMatchObject({ code: 0 });
    expect(out).toMatch(line('shop', String.raw`stock\('tea'\) +\{"item":"tea","count":10\}$`));
    expect(out).toMatch(line('inventory', String.raw`reserved 2 tea for pid \d+; 8 left$`));
    expect(out).toMatch(line('shop', String.raw`report\(\) +\[\{"item":"tea","count":8\},\{"item":"coffee","count":3\}\]$`));
    expect(out).toMatch(line('shop', String.raw`refused: OUT_OF_STOCK +"3 coffee left"$`));
    expect(out).toMatch(line('shop', String.raw`refused: UNKNOWN_ITEM +"milk"$`));
    expect(out).toMatch(line('shop', String.raw`refused: INVALID_ARGUMENT +\[\{"path":"quantity",`));
    expect(out).toMatch(line('shop', String.raw`events seen on 'stock\.\*\.changed' +\["stock\.tea\.changed -> 8"\]$`));
    expect(out).toContain('Done.');
  }, 160_000);
});
