/**
 * The human listing of `pipebus describe`: per contract a header line, then
 * one line per member; with `schemas`, each JSON Schema under its member,
 * bounded. Every string a peer chose goes through safeText/quoteText.
 */
import { safeText } from '../output/peer-text.js';
import { SCHEMA_BOUNDS, boundedJson } from './bounded-json.js';
import type { BusDescription, ContractDescription, MemberDescription, SchemaDescription } from './bus-description.js';

/** Widest key or wire column; longer names push the rest of their line right. */
const MAX_COLUMN = 40;
/** Error codes listed on a member's line before "and N more". */
const MAX_CODES_SHOWN = 12;
/** A method name that is safe to paste into a shell unquoted. */
const PLAIN_NAME = /^[A-Za-z0-9_.-]+$/;

/** The lines that describe `description`, as received from `address`. */
export function describeListing(address: string, description: BusDescription, schemas: boolean): string[] {
  const { contracts } = description;
  const where = safeText(address);
  if (contracts.length === 0) return [`${where} answers describe, but implements no contract`];
  const lines = [`${where} implements ${contracts.length} contract${contracts.length === 1 ? '' : 's'}`];
  for (const c of contracts) lines.push('', ...contractLines(c, schemas, address));
  const method = contracts.flatMap((c) => c.members).find((m) => m.kind === 'rpc' && PLAIN_NAME.test(m.wire));
  if (method !== undefined) lines.push('', `call a method: pipebus request ${shellQuote(address)} PAYLOAD --method ${method.wire}`);
  return lines;
}

function contractLines(c: ContractDescription, schemas: boolean, address: string): string[] {
  const version = c.version === null ? 'unversioned' : safeText(c.version, 64);
  const lines = [`${safeText(c.name, 120)} ${version}  fingerprint ${c.fingerprint}  wire prefix ${safeText(c.prefix, 120)}`];
  const keys = c.members.map((m) => safeText(m.key, 120));
  const wires = c.members.map((m) => safeText(m.wire, 120));
  const keyWidth = Math.min(MAX_COLUMN, Math.max(0, ...keys.map((k) => k.length)));
  const wireWidth = Math.min(MAX_COLUMN, Math.max(0, ...wires.map((w) => w.length)));
  c.members.forEach((m, i) => {
    lines.push(`  ${m.kind.padEnd(6)} ${keys[i]!.padEnd(keyWidth)}  ${wires[i]!.padEnd(wireWidth)}  ${schemaSummary(m)}`);
    if (schemas) lines.push(...schemaLines(m, address));
  });
  return lines;
}

function schemaSummary(m: MemberDescription): string {
  if (m.kind === 'event') return `payload ${vendor(m.payload)}`;
  const codes = (m.errors ?? []).map((e) => safeText(e.code, 64));
  const more = codes.length > MAX_CODES_SHOWN ? `, and ${codes.length - MAX_CODES_SHOWN} more` : '';
  const errors = codes.length === 0 ? '' : `  errors ${codes.slice(0, MAX_CODES_SHOWN).join(', ')}${more}`;
  return `input ${vendor(m.input)}  output ${vendor(m.output)}${errors}`;
}

function vendor(s: SchemaDescription | null | undefined): string {
  return s === null || s === undefined ? 'typed only' : safeText(s.vendor, 64);
}

/** Under a member: each runtime schema's JSON Schema, or why there is none. */
function schemaLines(m: MemberDescription, address: string): string[] {
  const named: Array<[string, SchemaDescription | null | undefined]> =
    m.kind === 'event'
      ? [['payload', m.payload]]
      : [['input', m.input], ['output', m.output], ...(m.errors ?? []).map((e): [string, SchemaDescription | null] => [`error ${safeText(e.code, 64)}`, e.data])];
  const lines: string[] = [];
  for (const [what, s] of named) {
    if (s === null || s === undefined) continue;
    if (s.jsonSchema === undefined) {
      lines.push(`      ${what} (${safeText(s.vendor, 64)}): no JSON Schema (its library gives none for it)`);
      continue;
    }
    lines.push(`      ${what} (${safeText(s.vendor, 64)}):`);
    const shown = boundedJson(s.jsonSchema);
    lines.push(...shown.lines.map((l) => `        ${l}`));
    if (shown.cut) lines.push(`        … (cut to ${SCHEMA_BOUNDS.maxLines} lines and ${SCHEMA_BOUNDS.maxDepth} levels: pipebus describe ${shellQuote(address)} --json prints it whole)`);
  }
  return lines;
}

/** `text` as one shell word (POSIX sh quoting): as it is when plain, else in single quotes. */
function shellQuote(text: string): string {
  if (/^[A-Za-z0-9_./:@%+=,-]+$/.test(text)) return text;
  return `'${safeText(text).replace(/'/g, `'\\''`)}'`;
}
