/**
 * A JSON value pretty-printed for a terminal, within bounds: at most
 * `maxLines` lines, strings cut at `maxString` characters, containers below
 * `maxDepth` shown as `{…}`/`[…]`. It stops walking once the line budget is
 * spent, so a 10 MB schema costs what is printed, not 10 MB.
 */
import { quoteText } from '../output/peer-text.js';

/** The bounds of {@link boundedJson}. */
export interface JsonBounds {
  readonly maxLines: number;
  readonly maxString: number;
  readonly maxDepth: number;
}

/** The default bounds for one schema. */
export const SCHEMA_BOUNDS: JsonBounds = Object.freeze({ maxLines: 60, maxString: 120, maxDepth: 12 });

/** The lines, and whether anything was left out (lines past the budget, or containers past the depth). */
export function boundedJson(value: unknown, bounds: JsonBounds = SCHEMA_BOUNDS): { lines: string[]; cut: boolean } {
  const lines: string[] = [];
  let cut = false;
  // Returns false once the budget is spent, which unwinds the walk.
  const emit = (line: string): boolean => {
    if (lines.length >= bounds.maxLines) {
      cut = true;
      return false;
    }
    lines.push(line);
    return true;
  };
  const scalar = (v: unknown): string => (typeof v === 'string' ? quoteText(v, bounds.maxString) : String(v));

  const walk = (v: unknown, indent: string, lead: string, trail: string, depth: number): boolean => {
    if (v === null || typeof v !== 'object') return emit(`${indent}${lead}${scalar(v)}${trail}`);
    const array = Array.isArray(v);
    // Indices for an array (nothing allocated per item: the walk may stop after a few).
    const keys = array ? undefined : Object.keys(v);
    const count = keys?.length ?? (v as unknown[]).length;
    const [open, close] = array ? ['[', ']'] : ['{', '}'];
    if (count === 0) return emit(`${indent}${lead}${open}${close}${trail}`);
    if (depth >= bounds.maxDepth) {
      cut = true;
      return emit(`${indent}${lead}${open}…${close}${trail}`);
    }
    if (!emit(`${indent}${lead}${open}`)) return false;
    for (let i = 0; i < count; i++) {
      const key = keys?.[i];
      const item = key === undefined ? (v as unknown[])[i] : (v as Record<string, unknown>)[key];
      const itemLead = key === undefined ? '' : `${quoteText(key, bounds.maxString)}: `;
      if (!walk(item, `${indent}  `, itemLead, i < count - 1 ? ',' : '', depth + 1)) return false;
    }
    return emit(`${indent}${close}${trail}`);
  };
  walk(value, '', '', '', 0);
  return { lines, cut };
}
