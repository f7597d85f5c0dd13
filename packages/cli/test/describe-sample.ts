/**
 * What `pipebus.describe` answers for two realistic contracts (format 1, as
 * @pipebus/contract's implement() sends it): a versioned one with zod
 * schemas, a declared error, a stream, an event and a typed-only method, and
 * an unversioned one whose library exposes no JSON Schema.
 */
const draft = 'https://json-schema.org/draft/2020-12/schema';

/** The JSON Schema of `inventory.v2.reserve`'s input. */
export const reserveInput = {
  $schema: draft,
  type: 'object',
  properties: { sku: { type: 'string' }, qty: { type: 'integer', exclusiveMinimum: 0 } },
  required: ['sku', 'qty'],
  additionalProperties: false,
};

/** A schema as a test may change it (loosely typed, to make it wrong). */
export interface SampleSchema {
  vendor: unknown;
  jsonSchema?: Record<string, unknown>;
}

/** A member as a test may change it. */
export interface SampleMember {
  key: string;
  kind: string;
  wire?: string;
  input?: SampleSchema | null;
  output?: SampleSchema | null;
  errors?: Array<{ code: unknown; data: SampleSchema | null }>;
  payload?: SampleSchema | null;
}

/** A description as a test may change it. */
export interface SampleDescription {
  format: unknown;
  contracts: Array<{ name: string; version: string | null; fingerprint: string; prefix: string; members: SampleMember[] }>;
}

/** A sample description: a new copy each call, which a test may change. */
export function sampleDescription(): SampleDescription {
  return structuredClone({
    format: 1,
    contracts: [
      {
        name: 'inventory',
        version: '2.1.0',
        fingerprint: '3f2a9c0d11e4b7a8',
        prefix: 'inventory.v2',
        members: [
          {
            key: 'reserve',
            kind: 'rpc',
            wire: 'inventory.v2.reserve',
            input: { vendor: 'zod', jsonSchema: reserveInput },
            output: { vendor: 'zod', jsonSchema: { $schema: draft, type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } },
            errors: [{ code: 'OUT_OF_STOCK', data: { vendor: 'zod', jsonSchema: { $schema: draft, type: 'object', properties: { left: { type: 'number' } } } } }],
          },
          {
            key: 'watch',
            kind: 'stream',
            wire: 'inventory.v2.watch',
            input: { vendor: 'zod', jsonSchema: { $schema: draft, type: 'string' } },
            output: { vendor: 'zod', jsonSchema: { $schema: draft, type: 'object', properties: { price: { type: 'number' } } } },
            errors: [],
          },
          { key: 'stock.*.changed', kind: 'event', wire: 'inventory.v2.stock.*.changed', payload: { vendor: 'zod', jsonSchema: { $schema: draft, type: 'object' } } },
          { key: 'ping', kind: 'rpc', wire: 'inventory.v2.ping', input: null, output: null, errors: [] },
        ],
      },
      {
        name: 'audit',
        version: null,
        fingerprint: '00ff00ff00ff00ff',
        prefix: 'audit',
        members: [{ key: 'record', kind: 'rpc', wire: 'audit.record', input: { vendor: 'valibot' }, output: null, errors: [] }],
      },
    ],
  });
}

/** Sets each contract's prefix and each member's wire name from the name, version and key, as implement() derives them. */
export function rederive(d: SampleDescription): SampleDescription {
  for (const c of d.contracts) {
    c.prefix = c.version === null ? c.name : `${c.name}.v${c.version.split('.')[0]}`;
    for (const m of c.members) m.wire = `${c.prefix}.${m.key}`;
  }
  return d;
}

/**
 * `value` as it travels: each JSON Schema as JSON text (one string, one
 * decoded element), as implement() sends it. Walks anything, so that a
 * test's garbage passes through unchanged.
 */
export function onWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(onWire);
  if (value === null || typeof value !== 'object' || Object.prototype.toString.call(value) !== '[object Object]') return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = key === 'jsonSchema' && item !== null && typeof item === 'object' ? JSON.stringify(item) : onWire(item);
  }
  return out;
}
