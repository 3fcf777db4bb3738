/**
 * Resources inferred from a spec's paths. A collection is a path ending in a literal segment (`/issues`,
 * `/issues/{issueId}/comments`) that has an item path below it (`/issues/{issueId}`), or lists (GET
 * answering an array, or an object holding one) and creates (POST). On a collection GET lists and POST
 * creates; on its item GET reads, PUT replaces, PATCH merges, POST merges too (Stripe's update) and
 * DELETE deletes. Every other operation (`/chat.postMessage`, `/customers/search`, a singleton like
 * `/customers/{id}/discount`) is answered from the spec's example, like a mock.
 */
import {
  deref,
  escapeToken,
  jsonMedia,
  operations,
  successStatus,
  type Operation,
  type OpenApiDoc,
} from './openapi.js';
import { keyOf, PARAM, segment, split, type Segment } from './routing.js';
import { view } from './schema-view.js';

export type CrudKind = 'list' | 'create' | 'read' | 'replace' | 'update' | 'delete';

export type IdKind = { type: 'integer' } | { type: 'uuid' } | { type: 'string'; prefix: string };

export interface Collection {
  /** The path with its parameters blanked, `/issues/{}/comments`: the rows' `collection`. */
  key: string;
  path: string;
  itemPath?: string;
  itemParam?: string;
  /** The key of the collection whose item this one hangs under (`/issues` for `/issues/{}/comments`). */
  parentKey?: string;
  /** The property holding the id in a resource, when it has one. */
  idProperty?: string;
  id: IdKind;
  /** Pointer of a resource's schema (the item GET's answer, else the create's, else a listed element's). */
  resourceSchema?: string;
  /** How a list answers: the array itself, or an object with the array in `property`. */
  list?: { property?: string; schema: string };
  operations: Partial<Record<CrudKind, Operation>>;
}

export type Route =
  { kind: CrudKind; collection: Collection; operation: Operation } | { kind: 'example'; operation: Operation };

export interface PathEntry {
  template: string;
  segments: Segment[];
  routes: Map<string, Route>;
}

export interface Inference {
  collections: Collection[];
  paths: PathEntry[];
}

const LIST_PROPERTIES = ['data', 'items', 'results', 'records', 'values', 'entries', 'elements', 'list'];

/** How an operation lists, if its answer is a list: an array of objects, or an object holding one. */
function listShape(doc: OpenApiDoc, op: Operation): Collection['list'] {
  const media = jsonMedia(successStatus(op)?.content ?? {});
  const top = media?.schema && deref(doc, media.schema);
  if (!top) return undefined;
  const isObjects = (pointer: string) => {
    const items = view(doc, deref(doc, pointer)?.value);
    return items.type === 'object' || Object.keys(items.properties).length > 0;
  };
  if (view(doc, top.value).type === 'array')
    return isObjects(`${top.pointer}/items`) ? { schema: `${top.pointer}/items` } : undefined;
  const props = view(doc, top.value).properties;
  const arrays = Object.keys(props).filter((name) => {
    const at = `${top.pointer}/properties/${escapeToken(name)}`;
    return deref(doc, at) && view(doc, props[name]).type === 'array' && isObjects(`${deref(doc, at)!.pointer}/items`);
  });
  const property = LIST_PROPERTIES.find((p) => arrays.includes(p)) ?? arrays[0];
  if (property === undefined) return undefined;
  return { property, schema: `${deref(doc, `${top.pointer}/properties/${escapeToken(property)}`)!.pointer}/items` };
}

const jsonSchemaOf = (doc: OpenApiDoc, op: Operation | undefined) => {
  const pointer = op && jsonMedia(successStatus(op)?.content ?? {})?.schema;
  return pointer && deref(doc, pointer)?.pointer;
};

/** The collections of a spec and a route for every operation. */
export function inferResources(doc: OpenApiDoc): Inference {
  const ops = operations(doc);
  const byPath = new Map<string, Map<string, Operation>>();
  for (const op of ops) byPath.set(op.path, (byPath.get(op.path) ?? new Map()).set(op.method, op));

  // Collection key → its item path (`/issues` → `/issues/{issueId}`).
  const items = new Map<string, string>();
  for (const path of byPath.keys()) {
    const segs = split(path);
    if (segs.length >= 2 && PARAM.test(segs.at(-1)!) && !segs.at(-2)!.includes('{'))
      items.set(keyOf(`/${segs.slice(0, -1).join('/')}`), path);
  }
  const collections = new Map<string, Collection>();
  const candidates = new Map<string, string>();
  for (const path of byPath.keys()) if (!split(path).at(-1)?.includes('{')) candidates.set(keyOf(path), path);
  for (const [key, itemPath] of items) if (!candidates.has(key)) candidates.set(key, itemPath.replace(/\/[^/]+$/, ''));

  for (const [key, path] of candidates) {
    const own = byPath.get(path) ?? new Map<string, Operation>();
    const itemPath = items.get(key);
    const item = itemPath ? byPath.get(itemPath)! : new Map<string, Operation>();
    const list = own.get('get') && listShape(doc, own.get('get')!);
    if (!itemPath && !(list && own.get('post'))) continue;
    const c: Collection = { key, path, id: { type: 'string', prefix: '' }, operations: {} };
    if (itemPath) {
      c.itemPath = itemPath;
      c.itemParam = PARAM.exec(split(itemPath).at(-1)!)![1]!;
    }
    if (list) {
      c.list = list;
      c.operations.list = own.get('get');
    }
    if (own.get('post')) c.operations.create = own.get('post');
    for (const [method, kind] of [
      ['get', 'read'],
      ['put', 'replace'],
      ['patch', 'update'],
      ['post', 'update'],
      ['delete', 'delete'],
    ] as const)
      if (item.get(method) && !c.operations[kind]) c.operations[kind] = item.get(method);
    const schema = jsonSchemaOf(doc, c.operations.read) ?? jsonSchemaOf(doc, c.operations.create) ?? list?.schema;
    if (schema) c.resourceSchema = deref(doc, schema)?.pointer ?? schema;
    identify(doc, c);
    collections.set(key, c);
  }
  for (const c of collections.values()) {
    const segs = split(c.key);
    const last = segs.lastIndexOf('{}');
    if (last > 0) {
      const parentItemKey = `/${segs.slice(0, last + 1).join('/')}`;
      const parent = [...collections.values()].find((p) => p.itemPath && keyOf(p.itemPath) === parentItemKey);
      if (parent) c.parentKey = parent.key;
    }
  }
  return { collections: [...collections.values()], paths: routes(byPath, collections) };
}

/** Where a resource keeps its id, and what ids look like (from the item parameter's schema and examples). */
function identify(doc: OpenApiDoc, c: Collection): void {
  const resource = view(doc, c.resourceSchema && deref(doc, c.resourceSchema)?.value);
  const props = resource.properties;
  const open = Object.keys(props).length === 0 || resource.raw.additionalProperties !== false;
  // `{issue_number}`, `{pull_number}` (GitHub) name a resource by its `number`, not by its `id`.
  const byNumber = c.itemParam?.endsWith('_number') ? 'number' : undefined;
  c.idProperty = [c.itemParam, byNumber, 'id'].find((n) => n !== undefined && props[n]) ?? (open ? 'id' : undefined);
  const param = [c.operations.read, c.operations.delete, c.operations.update, c.operations.replace]
    .flatMap((op) => op?.parameters ?? [])
    .find((p) => p.in === 'path' && p.name === c.itemParam);
  const paramSchema = view(doc, param?.schema && deref(doc, param.schema)?.value);
  const idSchema = c.idProperty ? view(doc, props[c.idProperty]) : undefined;
  const type = paramSchema.type ?? idSchema?.type;
  const format = paramSchema.raw.format ?? idSchema?.raw.format;
  const example = [paramSchema.raw.example, idSchema?.raw.example].find((e) => typeof e === 'string');
  if (type === 'integer' || type === 'number') c.id = { type: 'integer' };
  else if (format === 'uuid') c.id = { type: 'uuid' };
  else c.id = { type: 'string', prefix: /^([A-Za-z]{1,12}_)[A-Za-z0-9]+$/.exec(example ?? '')?.[1] ?? '' };
}

function routes(byPath: Map<string, Map<string, Operation>>, collections: Map<string, Collection>): PathEntry[] {
  const entries: PathEntry[] = [];
  for (const [template, ops] of byPath) {
    const entry: PathEntry = { template, segments: split(template).map(segment), routes: new Map() };
    const key = keyOf(template);
    const own = collections.get(key);
    const parentOf = [...collections.values()].find((c) => c.itemPath && keyOf(c.itemPath) === key);
    for (const [method, operation] of ops) {
      const c = own ?? parentOf;
      const kind = c && (Object.keys(c.operations) as CrudKind[]).find((k) => c.operations[k] === operation);
      entry.routes.set(method, c && kind ? { kind, collection: c, operation } : { kind: 'example', operation });
    }
    entries.push(entry);
  }
  return entries;
}

/** One line per operation, `POST /issues → create /issues`, for tests and for showing what a target emulates. */
export function describeRoutes(inference: Inference): Array<{ method: string; path: string; kind: Route['kind'] }> {
  return inference.paths.flatMap((e) =>
    [...e.routes].map(([method, r]) => ({ method: method.toUpperCase(), path: e.template, kind: r.kind })),
  );
}
