/**
 * What a resource is made of when the emulator makes or changes one: its id, the server fields its schema
 * declares (creation and update times, the parent's id), the required fields it still lacks, and RFC 7386
 * merges. Pure: the CRUD and the fixtures share it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Collection } from './inference.js';
import { deref, isObject, setOwn, type Json, type JsonObject, type OpenApiDoc } from './openapi.js';
import { completed, view } from './schema-view.js';

export const CREATED = [
  'createdAt',
  'created_at',
  'created',
  'creationDate',
  'dateCreated',
  'insertedAt',
  'createTime',
];
export const UPDATED = [
  'updatedAt',
  'updated_at',
  'updated',
  'modifiedAt',
  'modified_at',
  'lastModified',
  'updateTime',
];

export const resourceSchemaOf = (doc: OpenApiDoc, c: Collection): JsonObject | undefined =>
  c.resourceSchema === undefined ? undefined : deref(doc, c.resourceSchema)?.value;

/** A new string id: a UUID, or random characters after the prefix the spec's examples show (`cus_`). */
export function newStringId(c: Collection): string {
  if (c.id.type === 'uuid') return randomUUID();
  return `${c.id.type === 'string' ? c.id.prefix : ''}${randomBytes(12).toString('base64url').replace(/[-_]/g, '0')}`;
}

/**
 * A resource as created: the input, the id, the parent's ids where the schema has a property of their name,
 * creation and update times, then the required fields still missing.
 */
export function newResource(
  doc: OpenApiDoc,
  c: Collection,
  input: JsonObject,
  id: string | number,
  pathValues: JsonObject,
): JsonObject {
  const schema = resourceSchemaOf(doc, c);
  const props = view(doc, schema).properties;
  const body: JsonObject = { ...input };
  if (c.idProperty) setOwn(body, c.idProperty, id);
  for (const [name, value] of Object.entries(pathValues))
    if (props[name] && !Object.hasOwn(body, name)) setOwn(body, name, value);
  stamp(doc, c, body, CREATED, false);
  stamp(doc, c, body, UPDATED, false);
  return completed(doc, schema, body);
}

/** Sets the first of `names` the schema declares to now, in the property's own type. */
export function stamp(doc: OpenApiDoc, c: Collection, body: JsonObject, names: string[], overwrite: boolean): void {
  const props = view(doc, resourceSchemaOf(doc, c)).properties;
  const name = names.find((n) => props[n]);
  if (!name || (!overwrite && Object.hasOwn(body, name))) return;
  const v = view(doc, props[name]);
  const now = new Date();
  const value =
    v.type === 'integer' || v.type === 'number'
      ? Math.floor(now.getTime() / 1000)
      : v.raw.format === 'date'
        ? now.toISOString().slice(0, 10)
        : now.toISOString();
  setOwn(body, name, value);
}

/** RFC 7386: objects merge key by key, `null` removes, anything else replaces. */
export function mergePatch(target: Json, patch: Json): JsonObject {
  const out: JsonObject = isObject(target) ? { ...target } : {};
  if (!isObject(patch)) return out;
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else setOwn(out, k, isObject(v) ? mergePatch(out[k] ?? {}, v) : v);
  }
  return out;
}
