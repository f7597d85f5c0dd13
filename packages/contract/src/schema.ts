/**
 * Standard Schema v1 at the boundary: running a schema (which may answer
 * synchronously or with a Promise) and turning its issues into the
 * `{ path, message }` list that travels in a `BusError`'s details.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';

export type { StandardSchemaV1 };

// Recognised by a Symbol.for brand, not by identity: the ESM and CommonJS
// builds of this package each make their own marker.
const TYPED_BRAND = Symbol.for('pipebus.contract.typed');

/**
 * A type without a runtime schema: made by {@link typed}. It is a Standard
 * Schema whose `validate` accepts any value, so it fits every slot a schema
 * fits; a contract stores it as "no runtime schema".
 */
export interface Typed<T> extends StandardSchemaV1<T, T> {
  readonly [TYPED_BRAND]: true;
}

// One frozen marker serves every type: typed<T>() allocates nothing.
const TYPED: Typed<unknown> = Object.freeze({
  [TYPED_BRAND]: true as const,
  '~standard': Object.freeze({ version: 1 as const, vendor: 'pipebus.typed', validate: (value: unknown) => ({ value }) }),
});

/**
 * Types a slot of a contract (`input`, `output`, `errors.X`, `payload`)
 * without a schema library: `errors: { OUT_OF_STOCK: typed<{ left: number }>() }`.
 * Nothing is validated there (no cost per call); the member holds
 * `undefined` in that slot, as `rpc<In, Out>()` does, and a declared error
 * arrives as a `ContractError` with its data as sent. Mix it freely with
 * schemas: `rpc({ input: Reserve, errors: { OUT_OF_STOCK: typed<OutOfStock>() } })`.
 *
 * (Named `typed`, not `type`, so that it does not clash with arktype's `type`.)
 */
export function typed<T>(): Typed<T> {
  return TYPED as Typed<T>;
}

/** True for a value made by {@link typed} (by this or another copy of the package). */
export function isTyped(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { [TYPED_BRAND]?: unknown })[TYPED_BRAND] === true;
}

/** One validation failure, as a caller receives it in `details.issues`. */
export interface ContractIssue {
  /** Dot-separated path of the field (`items.0.qty`); `''` for the value itself. */
  readonly path: string;
  /** The schema library's message. */
  readonly message: string;
}

/** The outcome of one validation: the (possibly transformed) value, or the issues. */
export type Checked = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly issues: readonly ContractIssue[] };

/** True for a value that implements Standard Schema v1 (`~standard.validate`). */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  const props = (value as { '~standard'?: unknown })['~standard'];
  return typeof props === 'object' && props !== null && (props as { version?: unknown }).version === 1 && typeof (props as { validate?: unknown }).validate === 'function';
}

/**
 * Runs `schema` on `value`. Synchronous schemas answer synchronously, so
 * that a call without async validation costs no extra microtask. A schema
 * that throws throws here (the caller turns that into `INTERNAL`).
 */
export function check(schema: StandardSchemaV1, value: unknown): Checked | Promise<Checked> {
  const result = schema['~standard'].validate(value);
  return result instanceof Promise ? result.then(toChecked) : toChecked(result);
}

function toChecked(result: StandardSchemaV1.Result<unknown>): Checked {
  if (result.issues === undefined || result.issues === null) return { ok: true, value: (result as StandardSchemaV1.SuccessResult<unknown>).value };
  return { ok: false, issues: result.issues.map(toIssue) };
}

function toIssue(issue: StandardSchemaV1.Issue): ContractIssue {
  const path = (issue.path ?? []).map((segment) => String(typeof segment === 'object' && segment !== null ? segment.key : segment)).join('.');
  return { path, message: String(issue.message) };
}

/** `items.0.qty: Expected number; name: Required`, for messages (the full list is in details). */
export function describeIssues(issues: readonly ContractIssue[]): string {
  const shown = issues.slice(0, 3).map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`));
  return shown.join('; ') + (issues.length > 3 ? ` (and ${issues.length - 3} more)` : '');
}
