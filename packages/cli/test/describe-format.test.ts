import { describe, expect, it } from '@jest/globals';
import { BusError } from '@pipebus/core';
import { boundedJson } from '../src/description/bounded-json.js';
import { parseDescription } from '../src/description/bus-description.js';
import { describeListing } from '../src/description/listing.js';
import { safeJson, safeText } from '../src/output/peer-text.js';
import { onWire, rederive, sampleDescription, type SampleDescription } from './describe-sample.js';

/** The DECODE_FAILED message parseDescription throws for `value` (fails the test if it accepts it). */
function refusal(value: unknown): string {
  try {
    parseDescription(value);
  } catch (error) {
    expect(BusError.is(error, 'DECODE_FAILED')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

/** The sample with one change, made by `edit` on a copy. */
function edited(edit: (d: SampleDescription) => void): unknown {
  const d = sampleDescription();
  edit(d);
  return onWire(d);
}

const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;

describe('parseDescription: the answer of pipebus.describe as untrusted input', () => {
  it('accepts a realistic description as it is', () => {
    expect(parseDescription(onWire(sampleDescription()))).toEqual(sampleDescription());
  });

  it('reads absent schemas as typed only and absent errors as none, and drops fields it does not know', () => {
    const parsed = parseDescription({
      format: 1,
      extra: 'x',
      contracts: [{ name: 'a', version: null, fingerprint: '0123456789abcdef', prefix: 'a', members: [{ key: 'm', kind: 'rpc', wire: 'a.m', secret: 1 }] }],
    });
    expect(parsed).toEqual({
      format: 1,
      contracts: [{ name: 'a', version: null, fingerprint: '0123456789abcdef', prefix: 'a', members: [{ key: 'm', kind: 'rpc', wire: 'a.m', input: null, output: null, errors: [] }] }],
    });
  });

  it.each([
    ['a string', 'hello', /the answer is the string "hello", expected an object/],
    ['null', null, /the answer is null, expected an object/],
    ['an array', [1, 2], /the answer is an array, expected an object/],
    ['a number', 42, /the answer is 42, expected an object/],
    ['no answer', undefined, /the answer is missing/],
    ['no format', { contracts: [] }, /format is missing, expected 1/],
    ['a format as text', { format: '1', contracts: [] }, /format is "1", expected 1/],
    ['contracts not an array', { format: 1, contracts: {} }, /contracts is an object, expected an array/],
  ])('refuses %s with DECODE_FAILED', (_what, value, message) => {
    expect(refusal(value)).toMatch(message);
  });

  it('refuses a newer format with UNSUPPORTED_VERSION, saying to upgrade the CLI; a format below 1 is DECODE_FAILED', () => {
    expect(() => parseDescription(onWire({ ...sampleDescription(), format: 2 }))).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_VERSION', message: 'a description of format 2, newer than this pipebus reads (1): upgrade @pipebus/cli' }),
    );
    expect(refusal(onWire({ ...sampleDescription(), format: 0 }))).toMatch(/format is 0, expected 1/);
  });

  it('refuses wire names that are not the prefix and the key, and a prefix that is not the name and the major', () => {
    expect(refusal(edited((d) => void (d.contracts[0]!.members[0]!.wire = 'billing.refund')))).toMatch(
      /contracts\[0\]\.members\[0\]\.wire is "billing\.refund", expected the prefix, "\." and the key: "inventory\.v2\.reserve"/,
    );
    expect(refusal(edited((d) => void (d.contracts[0]!.prefix = 'inventory.v3')))).toMatch(/contracts\[0\]\.prefix is "inventory\.v3", expected "inventory\.v2" \(the name, and the version's major\)/);
    expect(refusal(edited((d) => void (d.contracts[1]!.prefix = 'audit.v1')))).toMatch(/contracts\[1\]\.prefix is "audit\.v1", expected "audit"/);
    expect(refusal(edited((d) => void (d.contracts[0]!.version = 'two')))).toMatch(/contracts\[0\]\.version is "two", expected a semantic version such as "2\.1\.0"/);
    // 0.y.z is the line v0, and a pre-release keeps its major.
    const pre = sampleDescription();
    pre.contracts[0]!.version = '0.3.0-rc.1';
    expect(parseDescription(onWire(rederive(pre))).contracts[0]!.members[0]!.wire).toBe('inventory.v0.reserve');
  });

  it.each([
    ['a kind it does not know', (d: SampleDescription) => void (d.contracts[0]!.members[0]!.kind = 'query'), /contracts\[0\]\.members\[0\]\.kind is "query", expected "rpc", "stream" or "event"/],
    ['a bad fingerprint', (d: SampleDescription) => void (d.contracts[1]!.fingerprint = 'XYZ'), /contracts\[1\]\.fingerprint is "XYZ", expected 16 lowercase hex digits/],
    ['a missing wire name', (d: SampleDescription) => void Reflect.deleteProperty(d.contracts[0]!.members[3]!, 'wire'), /contracts\[0\]\.members\[3\]\.wire is missing, expected a string/],
    ['an empty name', (d: SampleDescription) => void (d.contracts[0]!.name = ''), /contracts\[0\]\.name is empty/],
    ['a vendor that is a number', (d: SampleDescription) => void (d.contracts[1]!.members[0]!.input!.vendor = 7), /contracts\[1\]\.members\[0\]\.input\.vendor is 7, expected a string/],
    ['an error code that is an object', (d: SampleDescription) => void (d.contracts[0]!.members[0]!.errors![0]!.code = {}), /errors\[0\]\.code is an object, expected a string/],
  ])('refuses %s, naming the field', (_what, edit, message) => {
    expect(refusal(edited(edit))).toMatch(message);
  });

  it('reads each JSON Schema from its JSON text, and refuses one that is not text, not JSON, not an object or too long', () => {
    expect(parseDescription(onWire(sampleDescription())).contracts[0]!.members[0]!.input).toEqual({ vendor: 'zod', jsonSchema: sampleDescription().contracts[0]!.members[0]!.input!.jsonSchema });
    const asObject = onWire(sampleDescription()) as SampleDescription;
    (asObject.contracts[0]!.members[0]!.input as { jsonSchema: unknown }).jsonSchema = { type: 'object' };
    expect(refusal(asObject)).toMatch(/members\[0\]\.input\.jsonSchema is an object, expected a string/);
    const withText = (text: string): unknown => {
      const d = onWire(sampleDescription()) as SampleDescription;
      (d.contracts[0]!.members[0]!.input as { jsonSchema: unknown }).jsonSchema = text;
      return d;
    };
    expect(refusal(withText('{"type": "obj'))).toMatch(/members\[0\]\.input\.jsonSchema is not JSON text: /);
    expect(refusal(withText('[1, 2]'))).toMatch(/members\[0\]\.input\.jsonSchema is an array, expected an object/);
    expect(refusal(withText('['.repeat(200_000) + ']'.repeat(200_000)))).toMatch(/members\[0\]\.input\.jsonSchema (is not JSON text|is an array)/);
    const tooLong = refusal(withText(JSON.stringify({ description: 'd'.repeat(9 * 1024 * 1024) })));
    expect(tooLong).toMatch(/members\[0\]\.input\.jsonSchema is 943\d+ characters long, more than 8388608/);
    expect(tooLong.length).toBeLessThan(300);
  });

  it('refuses 10 MB names and 100 000 members with a short message, and never echoes them', () => {
    const huge = 'x'.repeat(10 * 1024 * 1024);
    const message = refusal(edited((d) => void (d.contracts[0]!.name = huge)));
    expect(message).toMatch(/contracts\[0\]\.name is 10485760 characters long, more than 1024/);
    expect(message.length).toBeLessThan(300);
    const many = refusal(edited((d) => void (d.contracts[0]!.members = new Array(100_000).fill(d.contracts[0]!.members[3]))));
    expect(many).toMatch(/contracts\[0\]\.members has 100000 entries, more than the 10000 a description may hold/);
    // A string quoted in a message is cut too.
    expect(refusal(edited((d) => void (d.contracts[0]!.members[0]!.kind = huge))).length).toBeLessThan(300);
  });
});

describe('the human listing', () => {
  it('prints one header per contract, one line per member, and how to call a method', () => {
    expect(describeListing('pipe://demo', parseDescription(onWire(sampleDescription())), false)).toEqual([
      'pipe://demo implements 2 contracts',
      '',
      'inventory 2.1.0  fingerprint 3f2a9c0d11e4b7a8  wire prefix inventory.v2',
      '  rpc    reserve          inventory.v2.reserve          input zod  output zod  errors OUT_OF_STOCK',
      '  stream watch            inventory.v2.watch            input zod  output zod',
      '  event  stock.*.changed  inventory.v2.stock.*.changed  payload zod',
      '  rpc    ping             inventory.v2.ping             input typed only  output typed only',
      '',
      'audit unversioned  fingerprint 00ff00ff00ff00ff  wire prefix audit',
      '  rpc    record  audit.record  input valibot  output typed only',
      '',
      'call a method: pipebus request pipe://demo PAYLOAD --method inventory.v2.reserve',
    ]);
  });

  it('says when a bus implements no contract, and quotes a Windows address for the shell', () => {
    expect(describeListing('pipe://demo', { format: 1, contracts: [] }, false)).toEqual(['pipe://demo answers describe, but implements no contract']);
    const lines = describeListing('\\\\.\\pipe\\inv', parseDescription(onWire(sampleDescription())), false);
    expect(lines.at(-1)).toBe("call a method: pipebus request '\\\\.\\pipe\\inv' PAYLOAD --method inventory.v2.reserve");
  });

  it('with schemas, pretty-prints each JSON Schema under its member, and says when a library exposes none', () => {
    const text = describeListing('pipe://demo', parseDescription(onWire(sampleDescription())), true).join('\n');
    expect(text).toContain(['      input (zod):', '        {', '          "$schema": "https://json-schema.org/draft/2020-12/schema",', '          "type": "object",'].join('\n'));
    expect(text).toContain('      error OUT_OF_STOCK (zod):');
    expect(text).toContain('      input (valibot): no JSON Schema (its library gives none for it)');
  });

  it('escapes control characters and bidi overrides a peer put in names, keys, vendors and codes', () => {
    const hostile = edited((d) => {
      const c = d.contracts[0]!;
      c.name = 'inv\u001b[2J\u001b[31mentory';
      c.members[0]!.key = 'res\u202eerve\r';
      c.members[0]!.input!.vendor = 'zod\u009b6n';
      c.members[0]!.errors![0]!.code = 'OUT\nOF';
      c.members[0]!.input!.jsonSchema!['type'] = 'obj\u0007ect';
      rederive(d);
    });
    const lines = describeListing('pipe://demo', parseDescription(hostile), true);
    for (const line of lines) expect(line).not.toMatch(RAW_CONTROL);
    const text = lines.join('\n');
    expect(text).toContain('inv\\u001b[2J\\u001b[31mentory 2.1.0');
    expect(text).toContain('res\\u202eerve\\u000d');
    expect(text).toContain('input zod\\u009b6n');
    expect(text).toContain('errors OUT\\u000aOF');
    expect(text).toContain('"type": "obj\\u0007ect"');
  });

  it('cuts a huge or deep JSON Schema, saying how to get it whole', () => {
    // The 1000-deep schema's text is built by hand: JSON.stringify recurses,
    // and overflows Windows Node's smaller stack under Wine.
    const deep = '{"type":"object","properties":{"next":'.repeat(1000) + '{"type":"string"}' + '}}'.repeat(1000);
    const big = edited((d) => {
      const m = d.contracts[0]!.members[0]!;
      m.input!.jsonSchema = { description: 'd'.repeat(5 * 1024 * 1024), properties: Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`p${i}`, { type: 'string' }])) };
      m.output!.jsonSchema = undefined;
    }) as SampleDescription;
    (big.contracts[0]!.members[0]!.output as { jsonSchema?: unknown }).jsonSchema = deep;
    const lines = describeListing('pipe://demo', parseDescription(big), true);
    expect(lines.join('\n').length).toBeLessThan(20_000);
    expect(lines.filter((l) => /… \(cut to 60 lines and 12 levels: pipebus describe pipe:\/\/demo --json prints it whole\)/.test(l))).toHaveLength(2);
    expect(lines.join('\n')).toContain('"description": "dddd');
    expect(lines.join('\n')).toContain('… (5242880 chars)');
  });
});

describe('bounded printing helpers', () => {
  it('boundedJson prints small values as JSON.stringify(v, null, 2) would', () => {
    const value = { a: [1, 'two', null, true, { b: {} }], c: [] };
    expect(boundedJson(value)).toEqual({ lines: JSON.stringify(value, null, 2).split('\n'), cut: false });
  });

  it('safeText and safeJson escape what moves a terminal, and safeJson stays the same JSON value', () => {
    expect(safeText('a\u001bb\u2066c')).toBe('a\\u001bb\\u2066c');
    expect(safeText('abcdef', 3)).toBe('abc… (6 chars)');
    const value = { s: 'x\u0085y\u202ez\u0000' };
    expect(safeJson(value)).not.toMatch(RAW_CONTROL);
    expect(JSON.parse(safeJson(value))).toEqual(value);
  });
});
