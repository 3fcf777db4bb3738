/**
 * Paths as the emulator matches them: a template's segments (a literal, a parameter, or a literal with
 * parameters in it), the operation a request path reaches, and the row key it lands on.
 */
import type { Collection, Inference, PathEntry, Route } from './inference.js';
import { RE2JS } from 're2js';
import type { RowKey } from './rows.js';

export type Segment = { literal: string } | { param: string } | { pattern: RE2JS; params: string[] };

export const split = (path: string) => path.split('/').filter((s) => s !== '');
export const PARAM = /^\{([^{}]+)\}$/;
export const keyOf = (path: string) =>
  `/${split(path)
    .map((s) => (PARAM.test(s) ? '{}' : s))
    .join('/')}`;

/** One segment of a path template. */
export function segment(s: string): Segment {
  const whole = PARAM.exec(s);
  if (whole) return { param: whole[1]! };
  if (!s.includes('{')) return { literal: s };
  // `{name}.json`: literal parts escaped; on RE2, as `{a}{b}{c}` would backtrack polynomially on a RegExp.
  const params: string[] = [];
  const source = s.replace(/\{([^{}]+)\}|([^{}]+)/g, (_, p: string | undefined, lit: string | undefined) => {
    if (p !== undefined) {
      params.push(p);
      return '([^/]+?)';
    }
    return lit!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return { pattern: RE2JS.compile(`^${source}$`), params };
}

/** Where a request lands: the row key, and for an item its concrete path (the parent of what hangs under it). */
export interface Place {
  key: RowKey;
  /** The concrete path requested (`/issues/1/comments`), each part percent-encoded again. */
  itemPath: string;
  /** The parent item's key, for a nested collection whose parent collection is known. */
  parent?: RowKey;
}

const joined = (parts: string[]) => (parts.length ? `/${parts.map(encodeURIComponent).join('/')}` : '');
const lastParam = (segments: Segment[]) => segments.findLastIndex((s) => !('literal' in s));

/**
 * The row key of decoded path `parts` sent to `template`, a collection's path (parent, no id) or its item
 * path (parent and id). The parent is the concrete path up to the last parameter (`/issues/1`), '' for none.
 */
export function placeOf(inference: Inference, c: Collection, template: string, parts: string[]): Place {
  const onItem = template === c.itemPath;
  const segments = split(template)
    .map(segment)
    .slice(0, onItem ? -1 : undefined);
  const at = lastParam(segments);
  const parentParts = at >= 0 ? parts.slice(0, at + 1) : [];
  const place: Place = {
    key: { collection: c.key, parent: joined(parentParts), id: onItem ? parts.at(-1)! : '' },
    itemPath: joined(parts),
  };
  const parent = inference.collections.find((p) => p.key === c.parentKey);
  if (parent) {
    const grand = lastParam(segments.slice(0, at));
    place.parent = {
      collection: parent.key,
      parent: joined(grand >= 0 ? parentParts.slice(0, grand + 1) : []),
      id: parentParts.at(-1)!,
    };
  }
  return place;
}

/** The collection whose path the decoded `parts` are (`/issues/1/comments`), for fixtures. */
export function collectionAt(inference: Inference, parts: string[]): Collection | undefined {
  return inference.collections.find((c) => {
    const segments = split(c.path).map(segment);
    return (
      segments.length === parts.length &&
      segments.every((s, i) => ('literal' in s ? s.literal === parts[i] : 'param' in s || s.pattern.matches(parts[i]!)))
    );
  });
}

export type Match =
  | { found: true; entry: PathEntry; route: Route; params: Record<string, string> }
  | { found: false; status: 404 }
  | { found: false; status: 405; allow: string[] };

/** The route of a request path (still percent-encoded, no query): the template with most literal segments wins. */
export function matchRoute(inference: Inference, method: string, rawPath: string): Match {
  const parts = split(rawPath);
  let best: { entry: PathEntry; params: Record<string, string>; score: number } | undefined;
  for (const entry of inference.paths) {
    if (entry.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let score = 0;
    const ok = entry.segments.every((seg, i) => {
      const part = parts[i]!;
      if ('literal' in seg) return seg.literal === part && ++score > 0;
      if ('param' in seg) return (params[seg.param] = part) !== '';
      const m = seg.pattern.matcher(part);
      if (!m.matches()) return false;
      seg.params.forEach((p, j) => (params[p] = m.group(j + 1) ?? ''));
      return true;
    });
    if (ok && (!best || score > best.score)) best = { entry, params, score };
  }
  if (!best) return { found: false, status: 404 };
  const route = best.entry.routes.get(method.toLowerCase());
  if (!route) return { found: false, status: 405, allow: [...best.entry.routes.keys()].map((m) => m.toUpperCase()) };
  return { found: true, entry: best.entry, route, params: best.params };
}
