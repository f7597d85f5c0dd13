/**
 * A contract's describe entry as it travels: JSON Schemas as JSON text (one
 * decoded element each, whatever their size), or, when the request asks
 * for no schemas, the vendor alone (no JSON Schema conversion, a small
 * answer). Cached per contract: a contract is frozen.
 */
import type { Contract, ContractShape } from './contract.js';
import type { SchemaDescription, WireSchemaDescription } from './description.js';
import { memberShapes, type MemberShape } from './fingerprint.js';
import type { ContractMember } from './methods.js';
import type { StandardSchemaV1 } from './schema.js';

const withSchemas = new WeakMap<Contract, object>();
const vendorsOnly = new WeakMap<Contract, object>();

/** `c`'s entry of a describe answer, with or without its JSON Schemas. */
export function wireContract(c: Contract, schemas: boolean): object {
  const cache = schemas ? withSchemas : vendorsOnly;
  let cached = cache.get(c);
  if (cached === undefined) {
    const members = schemas ? memberShapes(c.members).map((m) => withText(c, m)) : Object.entries(c.members as ContractShape).map(([key, m]) => withVendors(c, key, m));
    // The fingerprint needs every schema's JSON Schema once (cached per contract), even for an answer without them.
    cached = { name: c.name, version: c.version ?? null, fingerprint: c.fingerprint, prefix: c.prefix, members };
    cache.set(c, cached);
  }
  return cached;
}

function withText(c: Contract, m: MemberShape): object {
  const head = { key: m.key, kind: m.kind, wire: `${c.prefix}.${m.key}` };
  if (m.kind === 'event') return { ...head, payload: text(m.payload) };
  return { ...head, input: text(m.input), output: text(m.output), errors: (m.errors ?? []).map((e) => ({ code: e.code, data: text(e.data) })) };
}

function withVendors(c: Contract, key: string, m: ContractMember): object {
  const head = { key, kind: m.kind, wire: `${c.prefix}.${key}` };
  if (m.kind === 'event') return { ...head, payload: vendorOf(m.payload) };
  return { ...head, input: vendorOf(m.input), output: vendorOf(m.output), errors: Object.entries(m.errors).map(([code, data]) => ({ code, data: vendorOf(data) })) };
}

function text(s: SchemaDescription | null | undefined): WireSchemaDescription | null {
  if (s === null || s === undefined) return null;
  return s.jsonSchema === undefined ? { vendor: s.vendor } : { vendor: s.vendor, jsonSchema: JSON.stringify(s.jsonSchema) };
}

function vendorOf(schema: StandardSchemaV1 | undefined): WireSchemaDescription | null {
  if (schema === undefined) return null;
  const vendor = schema['~standard'].vendor;
  return { vendor: typeof vendor === 'string' ? vendor : 'unknown' };
}
