/**
 * How Collexa runs JSON Schemas it did not write (a tool's input schema, a tenant's OpenAPI spec): ajv's
 * `pattern` and `patternProperties` on RE2, and ajv-formats. Imports libraries only, so the sandboxed
 * emulator can load it too.
 */
import type { ErrorObject } from 'ajv';
import type { RegExpEngine } from 'ajv/dist/types/index.js';
import addFormatsModule from 'ajv-formats';
import { RE2JS } from 're2js';

// ajv-formats is CommonJS; under ESM its function may arrive as the module or wrapped in `default`.
// Typed loosely so the draft-07 and 2020-12 classes both fit (they share only a core class).
type AddFormats = <A>(ajv: A) => A;
export const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ??
  addFormatsModule) as unknown as AddFormats;

/**
 * `pattern` and `patternProperties` run on RE2 (re2js): matching is linear in the input, so a schema
 * such as `^(a+)+$` cannot stall the event loop the way a backtracking RegExp does. RE2 has no
 * backreferences or lookaround; such a pattern fails to compile (RE2JSSyntaxException), and so does the schema.
 */
export const re2RegExp: RegExpEngine = Object.assign(
  (pattern: string, flags: string) => {
    const re = RE2JS.compile(RE2JS.translateRegExp(pattern));
    // ajv keys compiled patterns by toString(): one per pattern and flags.
    return { test: (s: string) => re.test(s), toString: () => `re2/${flags}/${pattern}` };
  },
  { code: 're2js' },
);

/** One schema violation, as Collexa's error bodies show it. */
export interface SchemaViolation {
  path: string;
  message: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** ajv's errors as error details: the first `max`, and how many more there were. */
export function describeErrors(
  all: readonly ErrorObject[] | null | undefined,
  max = 20,
): { errors: SchemaViolation[]; more?: number } {
  const list = all ?? [];
  const errors = list.slice(0, max).map((e) => ({
    path: e.instancePath || '/',
    message: e.message ?? 'invalid',
    keyword: e.keyword,
    params: e.params,
  }));
  return list.length > errors.length ? { errors, more: list.length - errors.length } : { errors };
}
