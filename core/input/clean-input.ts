/**
 * What "clean input" means before anything reaches PostgreSQL or a workflow: no NUL character
 * (PostgreSQL text and jsonb refuse it), no lone UTF-16 surrogate (jsonb refuses the escape and no
 * encoder can write it as UTF-8), and JSON no deeper than a limit (deep values overflow the stack of
 * every recursive reader after JSON.parse, JSON.stringify among them). Pure functions: the API's
 * input guard applies them to bodies, query strings, path segments and headers.
 */

/** JSON_MAX_DEPTH's default: far deeper than any request of this API, far shallower than a stack. */
export const DEFAULT_JSON_MAX_DEPTH = 64;

export type TextProblem = 'nul_byte' | 'lone_surrogate';

export interface InputProblem {
  problem: TextProblem | 'too_deep' | 'malformed_escape';
  /** Where in the value: `input.items[2].name` ('' for the value itself). */
  path: string;
}

// Without the u flag a regex sees UTF-16 code units, so these find unpaired halves of a surrogate pair.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The first reason `text` cannot be stored as it is, if any. */
export function textProblem(text: string): TextProblem | undefined {
  if (text.includes('\u0000')) return 'nul_byte';
  if (LONE_SURROGATE.test(text)) return 'lone_surrogate';
  return undefined;
}

// A key shown in a path: NULs and lone surrogates become U+FFFD, so the message itself is clean.
const shownKey = (key: string) =>
  [...key].map((c) => (c === '\u0000' || (c.length === 1 && c >= '\uD800' && c <= '\uDFFF') ? '\uFFFD' : c)).join('');
const segment = (key: string | number) =>
  typeof key === 'number'
    ? `[${key}]`
    : /^[A-Za-z_$][\w$]*$/.test(key)
      ? `.${key}`
      : `[${JSON.stringify(shownKey(key))}]`;
const join = (parent: string, key: string | number) => `${parent}${segment(key)}`.replace(/^\./, '');

/**
 * Walks a parsed JSON value with an explicit stack (so no depth can overflow it) and answers the first
 * problem: an object or array nested deeper than `maxDepth` (the top-level value is depth 1), or a key
 * or string with a NUL or a lone surrogate.
 */
export function jsonProblem(value: unknown, maxDepth: number): InputProblem | undefined {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: '', depth: 1 }];
  while (stack.length > 0) {
    const { value: v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem) return { problem, path };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth > maxDepth) return { problem: 'too_deep', path };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: join(path, i), depth: depth + 1 });
      continue;
    }
    for (const [key, child] of Object.entries(v)) {
      const problem = textProblem(key);
      if (problem) return { problem, path: join(path, key) };
      stack.push({ value: child, path: join(path, key), depth: depth + 1 });
    }
  }
  return undefined;
}

/** Decodes one percent-encoded URL component, or answers why it cannot be used. */
export function decodeComponent(raw: string): { value: string } | { problem: InputProblem['problem'] } {
  let value: string;
  try {
    // A bad escape (%E0%A4%A), invalid UTF-8 (%FF) or an encoded surrogate (%ED%A0%80) all throw here.
    value = decodeURIComponent(raw);
  } catch {
    return { problem: 'malformed_escape' };
  }
  const problem = textProblem(value);
  return problem ? { problem } : { value };
}
