/**
 * OpenAPI schemas → JSON Schema ajv can run, once per direction. OpenAPI 3.0 schemas are a dialect:
 * `nullable`, boolean `exclusiveMinimum`; in both 3.0 and 3.1 a `readOnly` property is required only in
 * responses and a `writeOnly` one only in requests. The whole document is copied and rewritten where
 * schemas live, so `$ref`s keep pointing at the same places.
 */
import { atPointer, isObject, refPointer, type Json, type JsonObject, type OpenApiDoc } from './openapi.js';

export type Direction = 'request' | 'response';

const SCHEMA_MAPS = ['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas'];
const SCHEMA_ONE = [
  'items',
  'additionalProperties',
  'additionalItems',
  'not',
  'contains',
  'propertyNames',
  'if',
  'then',
  'else',
  'unevaluatedProperties',
  'unevaluatedItems',
];
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems', 'items'];
const ANNOTATIONS = ['default', 'description', 'title', 'example', 'readOnly', 'writeOnly', 'deprecated'];

/** A copy of the document whose schemas are JSON Schema for ajv, as `direction` sees them. */
export function jsonSchemaDocument(doc: OpenApiDoc, version: '3.0' | '3.1', direction: Direction): OpenApiDoc {
  const copy = structuredClone(doc);
  const hidden = direction === 'request' ? 'readOnly' : 'writeOnly';
  const visit = (schema: Json | undefined) => {
    if (!isObject(schema)) return;
    for (const key of SCHEMA_MAPS) if (isObject(schema[key])) Object.values(schema[key]).forEach(visit);
    for (const key of SCHEMA_ONE) if (isObject(schema[key])) visit(schema[key]);
    for (const key of SCHEMA_LISTS) if (Array.isArray(schema[key])) schema[key].forEach(visit);
    if (Array.isArray(schema.required) && isObject(schema.properties)) {
      const props = schema.properties;
      schema.required = schema.required.filter((n) => typeof n !== 'string' || !isHidden(copy, props[n], hidden));
    }
    if (version === '3.0') dialect30(schema);
  };
  const content = (holder: Json | undefined) => {
    if (!isObject(holder)) return;
    visit(holder.schema);
    if (isObject(holder.content)) for (const m of Object.values(holder.content)) if (isObject(m)) visit(m.schema);
    if (isObject(holder.headers)) Object.values(holder.headers).forEach(content);
  };
  const operation = (op: Json | undefined) => {
    if (!isObject(op)) return;
    if (Array.isArray(op.parameters)) op.parameters.forEach(content);
    content(op.requestBody);
    if (isObject(op.responses)) Object.values(op.responses).forEach(content);
  };
  for (const item of Object.values(copy.paths)) {
    if (!isObject(item)) continue;
    if (Array.isArray(item.parameters)) item.parameters.forEach(content);
    for (const value of Object.values(item)) operation(value);
  }
  const components = copy.components;
  if (isObject(components)) {
    if (isObject(components.schemas)) Object.values(components.schemas).forEach(visit);
    for (const kind of ['parameters', 'requestBodies', 'responses', 'headers'])
      if (isObject(components[kind])) Object.values(components[kind]).forEach(content);
  }
  return copy;
}

/** A property is readOnly (writeOnly) itself, through its `$ref`, or through its first `allOf`. */
function isHidden(doc: OpenApiDoc, prop: Json | undefined, flag: 'readOnly' | 'writeOnly', hops = 0): boolean {
  if (!isObject(prop) || hops > 8) return false;
  if (prop[flag] === true) return true;
  const pointer = typeof prop.$ref === 'string' ? refPointer(prop.$ref) : undefined;
  if (pointer !== undefined) return isHidden(doc, atPointer(doc, pointer), flag, hops + 1);
  return Array.isArray(prop.allOf) && isHidden(doc, prop.allOf[0], flag, hops + 1);
}

/** OpenAPI 3.0's own keywords, in place, as JSON Schema draft-07 says them. */
function dialect30(schema: JsonObject): void {
  for (const [flag, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof schema[flag] !== 'boolean') continue;
    if (schema[flag] && typeof schema[bound] === 'number') {
      schema[flag] = schema[bound];
      delete schema[bound];
    } else delete schema[flag];
  }
  if (!('nullable' in schema)) return;
  const nullable = schema.nullable === true;
  delete schema.nullable;
  if (!nullable) return;
  const composite = ['$ref', 'allOf', 'anyOf', 'oneOf', 'not'].some((k) => k in schema);
  if (typeof schema.type === 'string' && !composite) {
    schema.type = [schema.type, 'null'];
    if (Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum.push(null);
    return;
  }
  // Anything else: "this, or null", with the annotations (a default above all) kept where ajv reads them.
  const inner: JsonObject = {};
  for (const [k, v] of Object.entries(schema)) {
    if (ANNOTATIONS.includes(k)) continue;
    inner[k] = v;
    delete schema[k];
  }
  schema.anyOf = [inner, { type: 'null' }];
}
