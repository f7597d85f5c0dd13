/**
 * Standard Schema v1 at the boundary: running a schema (which may answer
 * synchronously or with a Promise) and turning its issues into the
 * `{ path, message }` list that travels in a `BusError`'s details.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';

export type { StandardSchemaV1 };

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
