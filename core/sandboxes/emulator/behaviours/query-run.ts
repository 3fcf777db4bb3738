/**
 * A parsed query (query-language.ts) run over a collection's rows: each clause read through its field's JSON
 * paths (arrays flattened, Atlassian documents by their text), ordered by the ORDER BY keys. Linear in the rows
 * and the query; the text read from one value is bounded.
 */
import { isObject, type Json, type JsonObject } from '../openapi.js';
import type { Expr, FieldSpec, Query } from './query-language.js';

const MAX_TEXT_NODES = 5000;

/** The rows that match, ordered as asked (ties, and no ORDER BY, in creation order; a DESC first key reverses it). */
export function runQuery(query: Query, rows: JsonObject[], fields: Record<string, FieldSpec>): JsonObject[] {
  const hits = rows.map((row, index) => ({ row, index })).filter(({ row }) => matches(query.where, row, fields));
  const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
  const keyOf = (row: JsonObject, field: string) => scalars(row, fields[field]!.paths)[0];
  const tie = query.orderBy[0]?.desc ? -1 : 1;
  return hits
    .sort((a, b) => {
      for (const { field, desc } of query.orderBy) {
        const [x, y] = [keyOf(a.row, field), keyOf(b.row, field)];
        // EMPTY sorts last either way.
        if (x === undefined || y === undefined) {
          if (x !== y) return x === undefined ? 1 : -1;
          continue;
        }
        const c = typeof x === 'number' && typeof y === 'number' ? x - y : collator.compare(String(x), String(y));
        if (c !== 0) return desc ? -c : c;
      }
      return (a.index - b.index) * tie;
    })
    .map((h) => h.row);
}

function matches(expr: Expr | undefined, row: JsonObject, fields: Record<string, FieldSpec>): boolean {
  if (!expr) return true;
  if ('and' in expr) return expr.and.every((e) => matches(e, row, fields));
  if ('or' in expr) return expr.or.some((e) => matches(e, row, fields));
  if ('not' in expr) return !matches(expr.not, row, fields);
  const paths = fields[expr.field]!.paths;
  if (expr.op === '~' || expr.op === '!~') {
    const text = paths.map((p) => textOf(valuesAt(row, p))).join(' ');
    const hit = expr.values[0] === null ? text.trim() === '' : containsWords(text, expr.values[0]!);
    return expr.op === '~' ? hit : !hit;
  }
  const values = scalars(row, paths).map((v) => String(v).toLowerCase());
  const wanted = expr.values.map((v) => (v === null ? null : v.toLowerCase()));
  const empty = values.length === 0;
  const equal = wanted.some((w) => (w === null ? empty : values.includes(w)));
  switch (expr.op) {
    case '=':
    case 'in':
    case 'is':
      return equal;
    // As in Jira: a field without a value is neither equal nor unequal to a value (`!= x` skips it).
    default:
      return !empty && !equal;
  }
}

/** Whether every word of `query` (letters and digits; `*` and `?` wildcards dropped) occurs in `text`. */
function containsWords(text: string, query: string): boolean {
  const hay = text.toLowerCase();
  const words = query
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');
  return words.length === 0 ? true : words.every((w) => hay.includes(w));
}

/** The scalar values (strings, numbers, booleans) at the paths, arrays flattened, in order. */
function scalars(row: JsonObject, paths: string[]): Array<string | number | boolean> {
  return paths.flatMap((p) =>
    valuesAt(row, p).filter((v): v is string | number | boolean => ['string', 'number', 'boolean'].includes(typeof v)),
  );
}

/** The values at a dotted path, through arrays (`ancestors.id` reads the id of each ancestor). */
function valuesAt(row: JsonObject, path: string): Json[] {
  let current: Json[] = [row];
  for (const part of path.split('.')) {
    const next: Json[] = [];
    for (const v of current) {
      const items = Array.isArray(v) ? v : [v];
      for (const item of items) if (isObject(item) && Object.hasOwn(item, part)) next.push(item[part]!);
    }
    current = next;
  }
  return current.flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v) => v !== null && v !== '');
}

/** The text of values: strings as they are, documents (Atlassian's ADF) by their `text` nodes; bounded. */
function textOf(values: Json[]): string {
  const out: string[] = [];
  const pending = [...values];
  for (let seen = 0; pending.length > 0 && seen < MAX_TEXT_NODES; seen++) {
    const v = pending.pop()!;
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) pending.push(...[...v].reverse());
    else if (isObject(v)) {
      if (typeof v.text === 'string') out.push(v.text);
      if (Array.isArray(v.content)) pending.push(...[...v.content].reverse());
    }
  }
  return out.join(' ');
}
