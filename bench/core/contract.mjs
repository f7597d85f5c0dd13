// bench/core, contract rows: what @pipebus/contract adds to a round trip
// (issue 16: a call without validation costs ≤ 0.3 µs CPU more than a plain
// `bus.request`; with validation, each schema library's cost side by side).
//
// Same loop and codec as the request rows. Every row sends the same order
// line (six fields, one a nested array) and gets the same small answer from
// a synchronous handler, so rows differ only by what the contract layer and
// the schema library do. The rows run interleaved in short blocks, round
// after round, and each row's delta against plain `request` is taken within
// its round, so a burst of load from elsewhere moves a round, not one row
// against another.
import { client, contract, implement, rpc } from '@pipebus/contract';
import { MessageBus, silentLogger } from '@pipebus/core';
import { type } from 'arktype';
import * as v from 'valibot';
import { z } from 'zod';
import { packageVersion } from '../lib/versions.mjs';
import { loop } from './loop.mjs';

/** What every row sends: an order line as a shop service would reserve it. */
export const ORDER_LINE = Object.freeze({
  orderId: 'o-20261201-1042',
  sku: 'SKU-7731-BLK',
  qty: 3,
  unitPriceCents: 1999,
  currency: 'EUR',
  discounts: [
    { code: 'SPRING', percent: 10 },
    { code: 'LOYAL', percent: 5 },
  ],
});
/** What every handler answers. */
export const RESERVED = Object.freeze({ lineId: 'l-1042', reserved: 3, totalCents: 5097 });
const reserve = () => RESERVED;

const CURRENCIES = ['EUR', 'USD', 'GBP'];
/** The same two shapes in each library, with the constraints a real service would put on them. */
const SCHEMAS = {
  zod: {
    input: z.object({
      orderId: z.string().min(1),
      sku: z.string().min(1),
      qty: z.number().int().positive(),
      unitPriceCents: z.number().int().nonnegative(),
      currency: z.enum(CURRENCIES),
      discounts: z.array(z.object({ code: z.string().min(1), percent: z.number().min(0).max(100) })),
    }),
    output: z.object({ lineId: z.string(), reserved: z.number().int(), totalCents: z.number().int() }),
  },
  valibot: {
    input: v.object({
      orderId: v.pipe(v.string(), v.minLength(1)),
      sku: v.pipe(v.string(), v.minLength(1)),
      qty: v.pipe(v.number(), v.integer(), v.minValue(1)),
      unitPriceCents: v.pipe(v.number(), v.integer(), v.minValue(0)),
      currency: v.picklist(CURRENCIES),
      discounts: v.array(v.object({ code: v.pipe(v.string(), v.minLength(1)), percent: v.pipe(v.number(), v.minValue(0), v.maxValue(100)) })),
    }),
    output: v.object({ lineId: v.string(), reserved: v.pipe(v.number(), v.integer()), totalCents: v.pipe(v.number(), v.integer()) }),
  },
  arktype: {
    input: type({
      orderId: 'string > 0',
      sku: 'string > 0',
      qty: 'number.integer > 0',
      unitPriceCents: 'number.integer >= 0',
      currency: "'EUR' | 'USD' | 'GBP'",
      discounts: type({ code: 'string > 0', percent: '0 <= number <= 100' }).array(),
    }),
    output: type({ lineId: 'string', reserved: 'number.integer', totalCents: 'number.integer' }),
  },
};
const LIBRARY_LABEL = { zod: 'zod 4', valibot: 'valibot 1', arktype: 'arktype 2' };

const WIRE_NAME = 'orders.v1.reserve';

/** The rows, in print order. `request` is the baseline, `contract` the typed-only call. */
export function contractRows() {
  const rows = [
    { id: 'request', label: 'bus.request + bus.handle' },
    { id: 'contract', label: 'contract, typed only (rpc<In, Out>())', contract: contract('orders', { version: '1.0.0' }, { reserve: rpc() }) },
  ];
  for (const stage of ['input', 'output', 'client']) {
    for (const [library, s] of Object.entries(SCHEMAS)) {
      const c = contract('orders', { version: '1.0.0' }, { reserve: rpc({ input: s.input, output: s.output }) });
      const what = { input: 'server validates input', output: '+ validateOutput', client: '+ client validateInput' }[stage];
      rows.push({ id: `${library}-${stage}`, label: `${LIBRARY_LABEL[library]}: ${what}`, library, stage, contract: c, validateOutput: stage === 'output', validateInput: stage === 'client' });
    }
  }
  return rows;
}

/** Two started buses with `row`'s handler on one; `call()` makes one round trip the row's way. */
export async function openRow(row) {
  const [ct, st] = loop();
  const opts = { logger: silentLogger, defaultTimeout: Infinity };
  const server = new MessageBus(st, opts);
  const clientBus = new MessageBus(ct, opts);
  let call;
  if (row.contract === undefined) {
    // The contract rows' wire name (`orders.v1.reserve`: the prefix carries
    // the major), so that the rows differ by the contract layer only, not by
    // the name's length (whose encoding and decoding cost moves with it).
    server.handle(WIRE_NAME, reserve);
    call = () => clientBus.request(WIRE_NAME, ORDER_LINE);
  } else {
    implement(server, row.contract, { reserve }, { validateOutput: row.validateOutput === true, logger: silentLogger });
    const orders = client(clientBus, row.contract, { validateInput: row.validateInput === true });
    call = () => orders.reserve(ORDER_LINE);
  }
  await server.start();
  await clientBus.start();
  return {
    call,
    close: async () => {
      await clientBus.close();
      await server.close();
    },
  };
}

/** Serial round trips, one in flight: a call's own cost, with nothing to amortise it. */
export async function serial(call, n) {
  for (let i = 0; i < n; i++) await call();
}

// Median, min–max and the middle half (p25–p75): with many short rounds the
// min–max shows the worst burst, the middle half how steady the figure is.
const stat = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { median: at(0.5), min: sorted[0], max: sorted[sorted.length - 1], p25: at(0.25), p75: at(0.75) };
};
const round3 = (n) => Math.round(n * 1000) / 1000;

/**
 * Runs the contract rows. Every row is opened and warmed up first, side by
 * side, so they share the JIT's state; then `rounds` rounds, each a block of
 * `block` serial round trips per row (the first row of a round rotates).
 * Short blocks, many rounds: a neighbour's burst of load lands in a few
 * blocks of every row instead of in one row's whole measurement, and the
 * medians leave it out. Returns per row the CPU µs per round trip (median
 * and min–max over rounds) and the deltas against `request` and against the
 * typed-only contract, paired by round.
 */
export async function runContractRows({ quick = false } = {}) {
  const block = quick ? 2_000 : 10_000;
  const rounds = quick ? 5 : 30;
  const rows = contractRows();
  const open = [];
  for (const row of rows) {
    const opened = await openRow(row);
    // A sanity check before timing: the row really round-trips (a schema that
    // rejected the order line would otherwise time an error path).
    const answer = await opened.call();
    if (answer?.lineId !== RESERVED.lineId) throw new Error(`bench/core ${row.id}: unexpected answer ${JSON.stringify(answer)}`);
    open.push(opened);
  }
  for (const { call } of open) await serial(call, quick ? 5_000 : 20_000); // warm-up: let the JIT settle
  globalThis.gc?.();
  const cpu = new Map(rows.map((r) => [r.id, []]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < rows.length; k++) {
      const i = (k + r) % rows.length;
      const cpu0 = process.cpuUsage();
      await serial(open[i].call, block);
      const used = process.cpuUsage(cpu0);
      cpu.get(rows[i].id).push((used.user + used.system) / block);
    }
  }
  for (const { close } of open) await close();
  const paired = (id, base) => cpu.get(id).map((x, i) => x - cpu.get(base)[i]);
  const rounded = (s) => ({ median: round3(s.median), min: round3(s.min), max: round3(s.max), p25: round3(s.p25), p75: round3(s.p75) });
  const requestMedian = stat(cpu.get('request')).median;
  const results = rows.map((row) => {
    const own = stat(cpu.get(row.id));
    return {
      row: row.id,
      label: row.label,
      library: row.library,
      stage: row.stage,
      cpuUsPerRoundTrip: rounded(own),
      rounds: cpu.get(row.id).map(round3),
      deltaVsRequestUs: row.id === 'request' ? undefined : rounded(stat(paired(row.id, 'request'))),
      ratioVsRequest: row.id === 'request' ? undefined : round3(own.median / requestMedian),
      deltaVsTypedContractUs: row.library === undefined ? undefined : rounded(stat(paired(row.id, 'contract'))),
    };
  });
  const result = {
    payload: 'order line: 5 scalar fields and an array of 2 objects',
    codec: 'msgpack',
    window: 1,
    block,
    rounds,
    libraries: Object.fromEntries(Object.keys(SCHEMAS).map((name) => [name, packageVersion(name)])),
    results,
  };
  printContractRows(result);
  return result;
}

const us = (n) => n.toFixed(2);
const signed = (n) => `${n >= 0 ? '+' : '−'}${us(Math.abs(n))}`;
const middle = (s) => `${signed(s.p25)}…${signed(s.p75)}`;

/** The contract rows as a table: medians with min–max over rounds; deltas paired by round, with their middle half. */
export function printContractRows(result) {
  const versions = Object.entries(result.libraries)
    .map(([name, version]) => `${name} ${version ?? '?'}`)
    .join(', ');
  console.log(`  contract rows: ${result.payload}; ${result.rounds} interleaved rounds of ${result.block.toLocaleString('en')} serial round trips per row (${versions})`);
  console.log(`  ${'CPU µs per round trip'.padEnd(42)}${'median'.padStart(7)}  ${'min–max'.padEnd(12)} ${'vs request (p25…p75), ratio'.padEnd(30)} vs typed contract (p25…p75)`);
  for (const r of result.results) {
    const own = r.cpuUsPerRoundTrip;
    const vsRequest = r.deltaVsRequestUs === undefined ? '' : `${signed(r.deltaVsRequestUs.median)} (${middle(r.deltaVsRequestUs)}) ${r.ratioVsRequest.toFixed(2)}×`;
    const vsContract = r.deltaVsTypedContractUs === undefined ? '' : `${signed(r.deltaVsTypedContractUs.median)} (${middle(r.deltaVsTypedContractUs)})`;
    console.log(`  ${r.label.padEnd(42)}${us(own.median).padStart(7)}  ${`${us(own.min)}–${us(own.max)}`.padEnd(12)} ${vsRequest.padEnd(30)} ${vsContract}`);
  }
}
