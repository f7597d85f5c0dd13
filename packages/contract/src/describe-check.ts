/**
 * A describe answer comes from another process: it is checked field by
 * field and copied (known keys only) before anyone reads it, by the rules
 * `contract()` applies to a contract defined here, so garbage can make the
 * answer fail but never make the receiver crash or print what it should not.
 *
 * Bounds: a contract name at most 200 chars (dot-separated identifiers), a
 * version 256 (semver, no leading zeros), a method key 200 (an identifier),
 * an event key a valid topic pattern of at most 1024 chars, an error code
 * 64, a vendor 128 printable ASCII chars, a JSON Schema text 1 MiB
 * (1,048,576 chars, parsed with `JSON.parse`: it must be a JSON object).
 * No contract twice (same name and major), no member key twice in one.
 */
import { BusError, validatePattern } from '@pipebus/core';
import { CONTRACT_NAME, METHOD_NAME, SEMVER } from './contract.js';
import type { BusDescription, ContractDescription, ErrorDescription, MemberDescription, SchemaDescription } from './description.js';

const FINGERPRINT = /^[0-9a-f]{16}$/;
const ERROR_CODE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const VENDOR = /^[\x20-\x7e]+$/;
// A topic pattern is at most this long here (core's MAX_TOPIC_LENGTH is far below it).
const MAX_PATTERN = 1024;
const MAX_VENDOR = 128;
/** Longest JSON Schema text read from a peer, in chars. */
export const MAX_JSON_SCHEMA_CHARS = 1_048_576;

class Malformed extends Error {
  constructor(
    readonly path: string,
    readonly what: string,
  ) {
    super(`${path} ${what}`);
  }
}

function fail(path: string, what: string, value: unknown): never {
  throw new Malformed(path, `${what}, got ${shown(value)}`);
}

/** A received value in a message: its kind, never more than 40 of its chars. */
function shown(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} chars` : JSON.stringify(value);
  if (value !== null && typeof value === 'object') return 'an object';
  return String(value).slice(0, 40);
}

/** Checks an answer of `pipebus.describe` and returns a clean copy of it. */
export function checkDescription(answer: unknown): BusDescription {
  try {
    const root = record(answer, 'the answer');
    if (root.format !== 1) {
      if (typeof root.format === 'number' && Number.isInteger(root.format) && root.format > 1) {
        throw new BusError('UNSUPPORTED_VERSION', `the peer's describe answer has format ${root.format}, newer than this @pipebus/contract reads (1): update @pipebus/contract`, { details: { format: root.format } });
      }
      fail('format', 'must be 1', root.format);
    }
    const contracts = list(root.contracts, 'contracts').map((c, i) => contractOf(c, `contracts[${i}]`));
    const prefixes = new Set<string>();
    contracts.forEach((c, i) => {
      if (prefixes.has(c.prefix)) fail(`contracts[${i}]`, `repeats ${c.prefix} (a contract and major listed twice)`, c.prefix);
      prefixes.add(c.prefix);
    });
    return Object.freeze({ format: 1, contracts: Object.freeze(contracts) });
  } catch (error) {
    if (!(error instanceof Malformed)) throw error;
    return malformed(error);
  }
}

function malformed(error: Malformed): never {
  throw new BusError('DECODE_FAILED', `the peer's describe answer is malformed: ${error.message}`, { details: { path: error.path } });
}

function contractOf(value: unknown, path: string): ContractDescription {
  const c = record(value, path);
  const name = text(c.name, `${path}.name`, 200, CONTRACT_NAME);
  const version = c.version === null ? null : text(c.version, `${path}.version`, 256, SEMVER);
  const fingerprint = text(c.fingerprint, `${path}.fingerprint`, 16, FINGERPRINT);
  const prefix = text(c.prefix, `${path}.prefix`, 220, CONTRACT_NAME);
  const expected = version === null ? name : `${name}.v${version.slice(0, version.indexOf('.'))}`;
  if (prefix !== expected) fail(`${path}.prefix`, `must be '${expected}' (the name, and the version's major)`, prefix);
  const members = list(c.members, `${path}.members`).map((m, i) => memberOf(m, `${path}.members[${i}]`, prefix));
  const keys = new Set<string>();
  members.forEach((m, i) => {
    if (keys.has(m.key)) fail(`${path}.members[${i}].key`, 'repeats a key of the contract', m.key);
    keys.add(m.key);
  });
  return Object.freeze({ name, version, fingerprint, prefix, members: Object.freeze(members) });
}

function memberOf(value: unknown, path: string, prefix: string): MemberDescription {
  const m = record(value, path);
  const kind = m.kind;
  if (kind !== 'rpc' && kind !== 'stream' && kind !== 'event') fail(`${path}.kind`, "must be 'rpc', 'stream' or 'event'", kind);
  const key = kind === 'event' ? pattern(m.key, `${path}.key`) : text(m.key, `${path}.key`, 200, METHOD_NAME);
  // Derived, but checked: a reader may call or subscribe to what it says.
  const wire = text(m.wire, `${path}.wire`, MAX_PATTERN + 221);
  if (wire !== `${prefix}.${key}`) fail(`${path}.wire`, "must be the prefix, '.' and the key", wire);
  if (kind === 'event') return Object.freeze({ key, kind, wire, payload: schemaOf(m.payload, `${path}.payload`) });
  const errors = m.errors === undefined ? [] : list(m.errors, `${path}.errors`).map((e, i) => errorOf(e, `${path}.errors[${i}]`));
  return Object.freeze({ key, kind, wire, input: schemaOf(m.input, `${path}.input`), output: schemaOf(m.output, `${path}.output`), errors: Object.freeze(errors) });
}

function errorOf(value: unknown, path: string): ErrorDescription {
  const e = record(value, path);
  return Object.freeze({ code: text(e.code, `${path}.code`, 64, ERROR_CODE), data: schemaOf(e.data, `${path}.data`) });
}

function schemaOf(value: unknown, path: string): SchemaDescription | null {
  // Absent counts as typed only: a later format may leave nulls out.
  if (value === undefined || value === null) return null;
  const s = record(value, path);
  const vendor = text(s.vendor, `${path}.vendor`, MAX_VENDOR, VENDOR);
  if (s.jsonSchema === undefined) return Object.freeze({ vendor });
  // JSON text: one decoded element on the wire, parsed here into plain JSON (JSON.parse does not recurse on the stack).
  const source = text(s.jsonSchema, `${path}.jsonSchema`, MAX_JSON_SCHEMA_CHARS);
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch {
    fail(`${path}.jsonSchema`, 'must be JSON text', source);
  }
  return Object.freeze({ vendor, jsonSchema: record(parsed, `${path}.jsonSchema`) });
}

function pattern(value: unknown, path: string): string {
  const key = text(value, path, MAX_PATTERN);
  try {
    validatePattern(key);
  } catch {
    fail(path, 'must be a valid topic pattern', key);
  }
  return key;
}

function record(value: unknown, path: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !isPlain(value)) fail(path, 'must be an object', value);
  return value as Record<string, unknown>;
}

function list(value: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(value)) fail(path, 'must be an array', value);
  return value;
}

function text(value: unknown, path: string, max: number, pattern?: RegExp): string {
  if (typeof value !== 'string' || value.length === 0) fail(path, 'must be a non-empty string', value);
  if (value.length > max) fail(path, `must be at most ${max} chars`, value);
  if (pattern !== undefined && !pattern.test(value)) fail(path, `must match ${pattern.source}`, value);
  return value;
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
