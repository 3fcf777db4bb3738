import { parse as parseYaml } from 'yaml';
import { createHash } from 'node:crypto';
import { badRequest } from '../../errors.js';

/** An OpenAPI description Collexa accepted as a sandbox target. */
export interface SpecDocument {
  doc: Record<string, unknown>;
  title: string;
  /** The first `servers[].url`, when it is an absolute http(s) URL. */
  serverUrl: string | null;
  hash: string;
  operations: number;
}

/** The largest description accepted, serialized (the real Jira and Stripe ones are 1.8 and 2.5 MB). */
export const MAX_SPEC_BYTES = 10 * 1024 * 1024;
const MAX_DEPTH = 200;
const MAX_NODES = 2_000_000;
const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/**
 * Parses and checks an OpenAPI 3.x description a tenant gave (an object, or JSON/YAML text): bounded in
 * size, depth and node count, with `openapi` 3.x, an `info.title` and `paths`, and self-contained: every
 * `$ref` local (`#/…`), so nothing that serves or reads it ever fetches a URL or a file the tenant names.
 * Throws a 400 `invalid_spec` naming what is wrong.
 */
export function parseSpecDocument(input: unknown): SpecDocument {
  let doc: unknown = input;
  if (typeof input === 'string') {
    if (Buffer.byteLength(input) > MAX_SPEC_BYTES) throw invalid(`the description is over ${MAX_SPEC_BYTES} bytes`);
    try {
      // YAML is a superset of JSON; aliases are bounded so a billion-laughs document cannot expand.
      doc = parseYaml(input, { maxAliasCount: 100, uniqueKeys: false });
    } catch (err) {
      throw invalid(`the description is neither JSON nor YAML: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (!isObject(doc)) throw invalid('the description must be an OpenAPI document (an object)');
  checkShape(doc);
  const text = JSON.stringify(doc);
  if (Buffer.byteLength(text) > MAX_SPEC_BYTES) throw invalid(`the description is over ${MAX_SPEC_BYTES} bytes`);
  const version = doc.openapi;
  if (typeof version !== 'string' || !/^3\.[01]\.\d+$/.test(version))
    throw invalid('only OpenAPI 3.0 and 3.1 descriptions are accepted (the `openapi` field)');
  const described = describeSpec(doc, hashOf(text));
  if (!described.title) throw invalid('the description has no info.title');
  if (!isObject(doc.paths)) throw invalid('the description has no paths');
  if (described.operations === 0) throw invalid('the description has no operations');
  return described;
}

/** sha256 of the description's JSON text: names its files and tells versions apart. */
export const hashOf = (json: string) => `sha256:${createHash('sha256').update(json).digest('hex')}`;

/**
 * Title, first server URL and operation count of a description already checked (a stored target, one
 * Collexa ships): cheap, no walk of the whole document.
 */
export function describeSpec(doc: Record<string, unknown>, hash: string): SpecDocument {
  const info = doc.info;
  const title = isObject(info) && typeof info.title === 'string' ? info.title.slice(0, 200) : '';
  let operations = 0;
  if (isObject(doc.paths))
    for (const item of Object.values(doc.paths))
      if (isObject(item)) operations += Object.keys(item).filter((k) => METHODS.has(k)).length;
  const servers = Array.isArray(doc.servers) ? doc.servers : [];
  const first = isObject(servers[0]) && typeof servers[0].url === 'string' ? servers[0].url : '';
  const serverUrl = /^https?:\/\/[^/]/i.test(first) ? first : null;
  return { doc, title, serverUrl, hash, operations };
}

/** Depth, node count and `$ref`s, in one iterative walk (no recursion a deep document could overflow). */
function checkShape(doc: Record<string, unknown>): void {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [{ value: doc, depth: 0, path: '#' }];
  let nodes = 0;
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    if (++nodes > MAX_NODES) throw invalid(`the description has over ${MAX_NODES} values`);
    if (depth > MAX_DEPTH) throw invalid(`the description nests deeper than ${MAX_DEPTH} levels (at ${path})`);
    if (Array.isArray(value)) {
      value.forEach((v, i) => stack.push({ value: v, depth: depth + 1, path: `${path}/${i}` }));
      continue;
    }
    if (!isObject(value)) continue;
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string' && !v.startsWith('#'))
        throw invalid(`only local $refs (#/…) are accepted; ${path} refers to ${JSON.stringify(v.slice(0, 200))}`);
      stack.push({ value: v, depth: depth + 1, path: `${path}/${key}` });
    }
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const invalid = (message: string) => badRequest('invalid_spec', message);
