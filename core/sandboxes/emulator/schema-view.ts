/**
 * What the emulator needs to know of a schema to build values (not to validate them: that is ajv's job):
 * its type, properties and required names with `$ref`s followed and `allOf` merged, and a plausible value
 * for it (const, default, the only enum value, example, or one made from its type and format).
 */
import { randomUUID } from 'node:crypto';
import {
  atPointer,
  deref,
  isObject,
  refPointer,
  setOwn,
  type Json,
  type JsonObject,
  type OpenApiDoc,
} from './openapi.js';

const MAX_HOPS = 16;
const MAX_FILL_DEPTH = 4;

export interface SchemaView {
  type?: string;
  properties: Record<string, JsonObject>;
  required: string[];
  raw: JsonObject;
}

/** The schema object at `pointer`, `$ref`s followed. */
export function schemaAt(doc: OpenApiDoc, pointer: string | undefined): JsonObject | undefined {
  return pointer === undefined ? undefined : deref(doc, pointer)?.value;
}

/** Follows a schema's `$ref` chain (local refs only; anything else reads as "no schema"). */
export function resolve(doc: OpenApiDoc, schema: Json | undefined): JsonObject | undefined {
  let s = schema;
  for (let hops = 0; isObject(s) && typeof s.$ref === 'string' && hops < MAX_HOPS; hops++) {
    const pointer = refPointer(s.$ref);
    s = pointer === undefined ? undefined : atPointer(doc, pointer);
  }
  return isObject(s) && typeof s.$ref !== 'string' ? s : undefined;
}

const typeOf = (s: JsonObject): string | undefined => {
  if (typeof s.type === 'string') return s.type;
  if (Array.isArray(s.type)) return s.type.find((t): t is string => typeof t === 'string' && t !== 'null');
  if (isObject(s.properties)) return 'object';
  return undefined;
};

// One view per schema object: a spec's allOf graph may be wide, deep and cyclic, and must cost no more than its size.
const views = new WeakMap<JsonObject, SchemaView>();

/** A schema's view: `allOf` members merged, and the first non-null member of an `anyOf`/`oneOf` when it has no type. */
export function view(doc: OpenApiDoc, schema: Json | undefined): SchemaView {
  const raw = resolve(doc, schema) ?? {};
  const known = views.get(raw);
  if (known) return known;
  const out: SchemaView = { properties: {}, required: [], raw };
  // Set before the members are read: a cycle back to this schema sees it as far as it got.
  views.set(raw, out);
  const type = typeOf(raw);
  if (type) out.type = type;
  if (isObject(raw.properties))
    for (const [name, prop] of Object.entries(raw.properties)) if (isObject(prop)) setOwn(out.properties, name, prop);
  if (Array.isArray(raw.required)) out.required = raw.required.filter((n): n is string => typeof n === 'string');
  const members = Array.isArray(raw.allOf) ? [...raw.allOf] : [];
  const alternatives = (Array.isArray(raw.anyOf) ? raw.anyOf : Array.isArray(raw.oneOf) ? raw.oneOf : []).filter(
    (m) => !(isObject(m) && m.type === 'null'),
  );
  if (!out.type && alternatives[0] !== undefined) members.push(alternatives[0]);
  for (const member of members) {
    const v = view(doc, member);
    out.type ??= v.type;
    out.properties = { ...v.properties, ...out.properties };
    out.required = [...new Set([...out.required, ...v.required])];
  }
  return out;
}

/** A property's own flag or its target's (`readOnly`, `writeOnly`). */
export function hasFlag(doc: OpenApiDoc, prop: Json | undefined, flag: 'readOnly' | 'writeOnly'): boolean {
  if (isObject(prop) && prop[flag] === true) return true;
  const v = view(doc, prop);
  return v.raw[flag] === true;
}

/** How many values one stand-in may be built of: a hostile schema may require thousands of fields at each level. */
const FILL_BUDGET = 2000;
type Budget = { left: number };

/** A stand-in value for a schema: const, default, first enum value, example, or built from type and format. */
export function plausible(
  doc: OpenApiDoc,
  schema: Json | undefined,
  depth = 0,
  budget: Budget = { left: FILL_BUDGET },
): Json {
  if (--budget.left < 0) return null;
  const v = view(doc, schema);
  const s = v.raw;
  if (s.const !== undefined) return s.const;
  if (s.default !== undefined) return s.default;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0]!;
  if (s.example !== undefined) return s.example;
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0]!;
  switch (v.type) {
    case 'string':
      return stringFor(s);
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 0;
    case 'boolean':
      return false;
    case 'array': {
      const n = Math.min(typeof s.minItems === 'number' ? s.minItems : 0, 3);
      return depth >= MAX_FILL_DEPTH ? [] : Array.from({ length: n }, () => plausible(doc, s.items, depth + 1, budget));
    }
    case 'object':
      return depth >= MAX_FILL_DEPTH ? {} : completed(doc, schema, {}, depth + 1, budget);
    default:
      return null;
  }
}

function stringFor(s: JsonObject): string {
  const now = new Date().toISOString();
  switch (s.format) {
    case 'date-time':
      return now;
    case 'date':
      return now.slice(0, 10);
    case 'uuid':
      return randomUUID();
    case 'email':
      return 'user@example.com';
    case 'uri':
    case 'url':
      return 'https://example.com/';
    default:
      return 'x'.repeat(Math.min(typeof s.minLength === 'number' ? s.minLength : 0, 64));
  }
}

/** `value` with the schema's required properties it lacks filled in with plausible values. */
export function completed(
  doc: OpenApiDoc,
  schema: Json | undefined,
  value: JsonObject,
  depth = 0,
  budget: Budget = { left: FILL_BUDGET },
): JsonObject {
  const v = view(doc, schema);
  const out: JsonObject = { ...value };
  for (const name of v.required)
    if (!Object.hasOwn(out, name) && v.properties[name])
      setOwn(out, name, plausible(doc, v.properties[name], depth, budget));
  return out;
}

/** `value` without the properties the schema marks writeOnly: a response never shows them. */
export function withoutWriteOnly(doc: OpenApiDoc, schema: Json | undefined, value: JsonObject): JsonObject {
  const v = view(doc, schema);
  return Object.fromEntries(Object.entries(value).filter(([k]) => !hasFlag(doc, v.properties[k], 'writeOnly')));
}
