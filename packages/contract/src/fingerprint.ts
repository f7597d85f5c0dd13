/**
 * What a contract's members look like from outside (kinds, schemas as their
 * vendor and JSON Schema), and the fingerprint of that shape. Both are
 * computed on first use and cached per members object: defining a contract
 * at import costs nothing more, and a contract's shape never changes (it is
 * frozen).
 */
import type { ContractMember } from './methods.js';
import type { StandardSchemaV1 } from './schema.js';

/** A schema as a describe answer gives it: its library, and its JSON Schema where the library exposes one. */
export interface SchemaDescription {
  /** The Standard Schema vendor (`'zod'`, `'valibot'`, `'arktype'`). */
  readonly vendor: string;
  /** The schema's input side as JSON Schema (draft 2020-12), when the library exposes Standard JSON Schema. */
  readonly jsonSchema?: Readonly<Record<string, unknown>>;
}

/** A declared error of a method, as a describe answer gives it. */
export interface ErrorDescription {
  /** The error's code, as the handler throws it (`'OUT_OF_STOCK'`). */
  readonly code: string;
  /** The schema of its data; `null` when typed only. */
  readonly data: SchemaDescription | null;
}

/** A member without its wire name (which depends on the contract's version). */
export interface MemberShape {
  readonly key: string;
  readonly kind: 'rpc' | 'stream' | 'event';
  readonly input?: SchemaDescription | null;
  readonly output?: SchemaDescription | null;
  readonly errors?: readonly ErrorDescription[];
  readonly payload?: SchemaDescription | null;
}

type Members = { readonly [key: string]: ContractMember };

const shapes = new WeakMap<Members, readonly MemberShape[]>();
const fingerprints = new WeakMap<Members, string>();

/** The members' shapes, in definition order (cached). */
export function memberShapes(members: Members): readonly MemberShape[] {
  let cached = shapes.get(members);
  if (cached === undefined) {
    cached = Object.freeze(Object.entries(members).map(([key, member]) => shapeOf(key, member)));
    shapes.set(members, cached);
  }
  return cached;
}

/**
 * 16 hex chars: FNV-1a 64 of the canonical JSON of the shape (members sorted
 * by key, error codes sorted, object keys sorted). Name and version are not
 * in it, and neither is the order of definition: nothing on the wire
 * depends on it.
 */
export function fingerprintOf(members: Members): string {
  let cached = fingerprints.get(members);
  if (cached === undefined) {
    const sorted = [...memberShapes(members)].sort((a, b) => compare(a.key, b.key)).map((m) => (m.errors === undefined ? m : { ...m, errors: [...m.errors].sort((a, b) => compare(a.code, b.code)) }));
    cached = fnv1a64(canonicalJson(sorted));
    fingerprints.set(members, cached);
  }
  return cached;
}

function shapeOf(key: string, member: ContractMember): MemberShape {
  if (member.kind === 'event') return Object.freeze({ key, kind: member.kind, payload: describeSchema(member.payload) });
  const errors = Object.entries(member.errors).map(([code, schema]) => Object.freeze({ code, data: describeSchema(schema) }));
  return Object.freeze({ key, kind: member.kind, input: describeSchema(member.input), output: describeSchema(member.output), errors: Object.freeze(errors) });
}

/**
 * A schema's vendor, and its JSON Schema when the library exposes Standard
 * JSON Schema (zod 4, arktype 2; valibot through `toStandardJsonSchema` of
 * `@valibot/to-json-schema`). A converter that throws (a transform, a Date)
 * or gives something JSON cannot hold counts as "not exposed".
 */
export function describeSchema(schema: StandardSchemaV1 | undefined): SchemaDescription | null {
  if (schema === undefined) return null;
  const props = schema['~standard'] as StandardSchemaV1['~standard'] & { readonly jsonSchema?: { readonly input?: unknown } };
  const vendor = typeof props.vendor === 'string' ? props.vendor : 'unknown';
  let jsonSchema: unknown;
  try {
    const input = props.jsonSchema?.input;
    // A JSON round trip: what goes on the wire is plain data, whatever the converter returned.
    if (typeof input === 'function') jsonSchema = JSON.parse(JSON.stringify(input.call(props.jsonSchema, { target: 'draft-2020-12' }))) as unknown;
  } catch {
    jsonSchema = undefined;
  }
  const isObject = jsonSchema !== null && typeof jsonSchema === 'object' && !Array.isArray(jsonSchema);
  return Object.freeze(isObject ? { vendor, jsonSchema: jsonSchema as Record<string, unknown> } : { vendor });
}

// Code-unit order, not localeCompare: the same in every process and locale.
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** JSON with every object's keys sorted, so that equal shapes give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort(compare);
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const utf8 = new TextEncoder();

/** FNV-1a 64 of the UTF-8 bytes of `text`, as 16 lowercase hex chars, in two 32-bit halves (no BigInt per byte). */
export function fnv1a64(text: string): string {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (const byte of utf8.encode(text)) {
    lo = (lo ^ byte) >>> 0;
    // × 0x100000001b3 = × 0x1b3 plus << 40; every product stays below 2^53.
    const low = lo * 0x1b3;
    hi = (hi * 0x1b3 + lo * 256 + Math.floor(low / 0x100000000)) >>> 0;
    lo = low >>> 0;
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}
