/**
 * A contract's describe entry: as `describeBus` gives it (parsed JSON
 * Schemas), and as it travels, derived from that one: JSON Schemas as JSON
 * text (one decoded element each, whatever their size), or, when the
 * request asks for no schemas, the vendor alone (a small answer; the
 * conversion itself happened once already, for the fingerprint). Cached
 * per contract: a contract is frozen.
 */
import type { Contract } from './contract.js';
import type { ContractDescription, MemberDescription, SchemaDescription, WireSchemaDescription } from './description.js';
import { memberShapes } from './fingerprint.js';

const descriptions = new WeakMap<Contract, ContractDescription>();
const withSchemas = new WeakMap<Contract, object>();
const vendorsOnly = new WeakMap<Contract, object>();

/** One contract's description. */
export function describeContract(c: Contract): ContractDescription {
  let cached = descriptions.get(c);
  if (cached === undefined) {
    const members = memberShapes(c.members).map(({ key, kind, ...schemas }): MemberDescription => Object.freeze({ key, kind, wire: `${c.prefix}.${key}`, ...schemas }));
    cached = Object.freeze({ name: c.name, version: c.version ?? null, fingerprint: c.fingerprint, prefix: c.prefix, members: Object.freeze(members) });
    descriptions.set(c, cached);
  }
  return cached;
}

/** `c`'s entry of a describe answer, with or without its JSON Schemas. */
export function wireContract(c: Contract, schemas: boolean): object {
  const cache = schemas ? withSchemas : vendorsOnly;
  let cached = cache.get(c);
  if (cached === undefined) {
    const d = describeContract(c);
    cached = { name: d.name, version: d.version, fingerprint: d.fingerprint, prefix: d.prefix, members: d.members.map((m) => onWire(m, schemas)) };
    cache.set(c, cached);
  }
  return cached;
}

function onWire(m: MemberDescription, schemas: boolean): object {
  const slot = (s: SchemaDescription | null | undefined): WireSchemaDescription | null => {
    if (s === null || s === undefined) return null;
    return schemas && s.jsonSchema !== undefined ? { vendor: s.vendor, jsonSchema: JSON.stringify(s.jsonSchema) } : { vendor: s.vendor };
  };
  const head = { key: m.key, kind: m.kind, wire: m.wire };
  if (m.kind === 'event') return { ...head, payload: slot(m.payload) };
  return { ...head, input: slot(m.input), output: slot(m.output), errors: (m.errors ?? []).map((e) => ({ code: e.code, data: slot(e.data) })) };
}
