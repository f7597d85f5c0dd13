/**
 * The answer of `pipebus.describe` (format 1), as `@pipebus/contract`'s
 * `implement()` sends it, and its check. The CLI keeps its own copy of the
 * format rather than importing @pipebus/contract: what it reads is another
 * process's answer (of any release, or no pipebus at all), so it must check
 * every field anyway, and the CLI stays below the contract layer.
 *
 * The check treats the answer as untrusted input: each field's type, each
 * string's length (a name longer than the bus allows cannot be real), the
 * counts, the wire names against the contract's name and version, and JSON
 * Schemas made of JSON values only, so that printing can neither throw nor
 * flood. A failure is `DECODE_FAILED`, naming the field.
 *
 * On the wire a JSON Schema is JSON text, one string: a schema then costs the
 * receiving bus one decoded element whatever its size, so a big contract's
 * answer stays far below `maxDecodedElements` (as objects, a 500-method zod
 * contract went past it, and the bus drops a peer whose frame does). It is
 * parsed here, bounded, and checked like the rest.
 */
import { BusError } from '@pipebus/core';
import { MAX_NAME_LENGTH } from '@pipebus/core/transport-kit';
import { quoteText } from '../output/peer-text.js';

/** The one format this CLI reads. */
export const DESCRIPTION_FORMAT = 1;

/** What `pipebus.describe` answers. */
export interface BusDescription {
  readonly format: 1;
  readonly contracts: readonly ContractDescription[];
}

/** One contract a bus implements. */
export interface ContractDescription {
  readonly name: string;
  readonly version: string | null;
  /** 16 lowercase hex characters: a hash of the contract's shape. */
  readonly fingerprint: string;
  /** What the contract's wire names start with (`inventory.v2`). */
  readonly prefix: string;
  /** In definition order. */
  readonly members: readonly MemberDescription[];
}

/** The member kinds. */
export type MemberKind = 'rpc' | 'stream' | 'event';

/** One method or event of a contract. A schema that is `null` is typed only (no runtime schema). */
export interface MemberDescription {
  readonly key: string;
  readonly kind: MemberKind;
  /** The method's bus name, or the event's topic pattern. */
  readonly wire: string;
  readonly input?: SchemaDescription | null;
  readonly output?: SchemaDescription | null;
  readonly errors?: readonly ErrorDescription[];
  readonly payload?: SchemaDescription | null;
}

/** A declared error of a method. */
export interface ErrorDescription {
  readonly code: string;
  readonly data: SchemaDescription | null;
}

/** A runtime schema: its library, and its JSON Schema (parsed from the wire's JSON text) when the library exposes one and it was asked for. */
export interface SchemaDescription {
  readonly vendor: string;
  readonly jsonSchema?: Readonly<Record<string, unknown>>;
}

/** Bounds no real description comes near; past them the answer is refused rather than printed. */
export const DESCRIPTION_LIMITS = Object.freeze({
  contracts: 1000,
  membersPerContract: 10_000,
  errorsPerMember: 1000,
  version: 256,
  vendor: 128,
  // Error codes are at most 64 characters when declared (see @pipebus/contract).
  code: 64,
  /** Characters of one JSON Schema's text. */
  jsonSchemaText: 8 * 1024 * 1024,
});

const KINDS: ReadonlySet<string> = new Set<MemberKind>(['rpc', 'stream', 'event']);
const FINGERPRINT = /^[0-9a-f]{16}$/;
// 'X.Y.Z' with an optional pre-release or build; group 1 is the major, the wire prefix's `v<major>`.
const SEMVER = /^(\d{1,16})\.\d{1,16}\.\d{1,16}([-+][0-9A-Za-z.+-]*)?$/;

/**
 * Checks `value` as a {@link BusDescription} and returns a copy holding the
 * known fields only (an absent schema reads as `null`, absent errors as none).
 *
 * @throws BusError `DECODE_FAILED` naming the first field that is wrong;
 *   `UNSUPPORTED_VERSION` for a newer format.
 */
export function parseDescription(value: unknown): BusDescription {
  const root = record(value, 'the answer');
  const format = root['format'];
  if (format !== DESCRIPTION_FORMAT) {
    // A newer format is not garbage: it needs a newer reader, as @pipebus/contract's describeRemote says too.
    if (typeof format === 'number' && Number.isSafeInteger(format) && format > DESCRIPTION_FORMAT) {
      throw new BusError('UNSUPPORTED_VERSION', `a description of format ${format}, newer than this pipebus reads (${DESCRIPTION_FORMAT}): upgrade @pipebus/cli`, { details: { format } });
    }
    throw refuse(`format is ${shown(format)}, expected ${DESCRIPTION_FORMAT}`);
  }
  const contracts = list(root['contracts'], 'contracts', DESCRIPTION_LIMITS.contracts).map((c, i) => parseContract(c, `contracts[${i}]`));
  return { format: DESCRIPTION_FORMAT, contracts };
}

function parseContract(value: unknown, path: string): ContractDescription {
  const c = record(value, path);
  const fingerprint = text(c['fingerprint'], `${path}.fingerprint`, 16);
  if (!FINGERPRINT.test(fingerprint)) throw refuse(`${path}.fingerprint is ${shown(fingerprint)}, expected 16 lowercase hex digits`);
  const name = text(c['name'], `${path}.name`, MAX_NAME_LENGTH);
  const version = c['version'] === null ? null : text(c['version'], `${path}.version`, DESCRIPTION_LIMITS.version);
  const major = version === null ? undefined : SEMVER.exec(version)?.[1];
  if (version !== null && major === undefined) throw refuse(`${path}.version is ${shown(version)}, expected a semantic version such as "2.1.0"`);
  // The prefix and wire names are derived, but checked: a reader calls what
  // they say (the listing prints a request line), so a peer must not be able
  // to point a member of one contract at another method.
  const prefix = text(c['prefix'], `${path}.prefix`, MAX_NAME_LENGTH);
  const expected = major === undefined ? name : `${name}.v${major}`;
  if (prefix !== expected) throw refuse(`${path}.prefix is ${shown(prefix)}, expected ${shown(expected)} (the name, and the version's major)`);
  return {
    name,
    version,
    fingerprint,
    prefix,
    members: list(c['members'], `${path}.members`, DESCRIPTION_LIMITS.membersPerContract).map((m, i) => parseMember(m, `${path}.members[${i}]`, prefix)),
  };
}

function parseMember(value: unknown, path: string, prefix: string): MemberDescription {
  const m = record(value, path);
  const kind = m['kind'];
  if (typeof kind !== 'string' || !KINDS.has(kind)) throw refuse(`${path}.kind is ${shown(kind)}, expected "rpc", "stream" or "event"`);
  const key = text(m['key'], `${path}.key`, MAX_NAME_LENGTH);
  const wire = text(m['wire'], `${path}.wire`, MAX_NAME_LENGTH);
  if (wire !== `${prefix}.${key}`) throw refuse(`${path}.wire is ${shown(wire)}, expected the prefix, "." and the key: ${shown(`${prefix}.${key}`)}`);
  if (kind === 'event') return { key, kind, wire, payload: schema(m['payload'], `${path}.payload`) };
  const errors = m['errors'] === undefined ? [] : list(m['errors'], `${path}.errors`, DESCRIPTION_LIMITS.errorsPerMember);
  return {
    key,
    kind: kind as MemberKind,
    wire,
    input: schema(m['input'], `${path}.input`),
    output: schema(m['output'], `${path}.output`),
    errors: errors.map((e, i) => {
      const error = record(e, `${path}.errors[${i}]`);
      return { code: text(error['code'], `${path}.errors[${i}].code`, DESCRIPTION_LIMITS.code), data: schema(error['data'], `${path}.errors[${i}].data`) };
    }),
  };
}

function schema(value: unknown, path: string): SchemaDescription | null {
  if (value === null || value === undefined) return null;
  const s = record(value, path);
  const vendor = text(s['vendor'], `${path}.vendor`, DESCRIPTION_LIMITS.vendor);
  if (s['jsonSchema'] === undefined) return { vendor };
  const jsonSchema = record(parseJsonText(text(s['jsonSchema'], `${path}.jsonSchema`, DESCRIPTION_LIMITS.jsonSchemaText), `${path}.jsonSchema`), `${path}.jsonSchema`);
  checkJson(jsonSchema, `${path}.jsonSchema`);
  return { vendor, jsonSchema };
}

/**
 * Throws unless `root` holds JSON values only (null, booleans, finite
 * numbers, strings, arrays, plain objects), so that JSON.stringify neither
 * throws (a BigInt) nor prints something else than was sent (a Map as {}).
 * Iterative: the bus already bounds the depth at decoding, and no stack is spent here.
 */
function checkJson(root: object, rootPath: string): void {
  const stack: Array<{ value: unknown; path: () => string }> = [{ value: root, path: () => rootPath }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value, path } = next;
    if (value === null || typeof value === 'string' || typeof value === 'boolean') continue;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw refuse(`${path()} is ${value}, which JSON cannot hold`);
      continue;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push({ value: item, path: () => `${path()}[${i}]` }));
      continue;
    }
    if (isPlainObject(value)) {
      for (const [key, item] of Object.entries(value)) stack.push({ value: item, path: () => `${path()}[${quoteText(key, 40)}]` });
      continue;
    }
    throw refuse(`${path()} is ${kindOf(value)}, not a JSON value`);
  }
}

function parseJsonText(value: string, path: string): unknown {
  try {
    return JSON.parse(value);
  } catch (error) {
    // A SyntaxError, or a RangeError for nesting past what the parser takes.
    throw refuse(`${path} is not JSON text: ${quoteText((error as Error).message, 80)}`);
  }
}

function record(value: unknown, path: string): Record<string, unknown> {
  if (!isPlainObject(value)) throw refuse(`${path} is ${kindOf(value)}, expected an object`);
  return value;
}

function list(value: unknown, path: string, max: number): unknown[] {
  if (!Array.isArray(value)) throw refuse(`${path} is ${kindOf(value)}, expected an array`);
  if (value.length > max) throw refuse(`${path} has ${value.length} entries, more than the ${max} a description may hold`);
  return value;
}

function text(value: unknown, path: string, max: number): string {
  if (typeof value !== 'string') throw refuse(`${path} is ${kindOf(value)}, expected a string`);
  if (value.length === 0) throw refuse(`${path} is empty`);
  if (value.length > max) throw refuse(`${path} is ${value.length} characters long, more than ${max}`);
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  // By tag, not prototype: a decoder may build records with a prototype of its own.
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.prototype.toString.call(value) === '[object Object]';
}

/** A value named for a message, never the value itself (it may be huge). */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${shown(value)}`;
  if (typeof value === 'object') {
    const tag = Object.prototype.toString.call(value).slice(8, -1);
    return tag === 'Object' ? 'an object' : `an object of type ${tag}`;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a ${typeof value}`;
}

function shown(value: unknown): string {
  return typeof value === 'string' ? quoteText(value, 40) : kindOf(value);
}

function refuse(problem: string): BusError {
  return new BusError('DECODE_FAILED', `not a pipebus description: ${problem}`);
}
