/**
 * Fixtures: the resources a sandbox starts from and returns to on reset. The format is an object keyed by
 * a collection's concrete path, each holding the resources in it, in order:
 *
 *   { "/issues": [{ "id": 1, "title": "…" }, …], "/issues/1/comments": [{ "author": "ada", "body": "…" }] }
 *
 * They come from the spec's `x-collexa-fixtures` extension unless given on their own. Each is made as a create
 * makes a resource (an id when it has none, server fields, required fields), then validated against the
 * resource's schema as a response: a fixture the spec does not allow is refused, naming it.
 */
import { decodeComponent } from '../../input/clean-input.js';
import { newResource, newStringId, resourceSchemaOf } from './resource.js';
import type { Inference } from './inference.js';
import { collectionAt, placeOf } from './routing.js';
import { isObject, setOwn, type Json, type JsonObject, type OpenApiDoc } from './openapi.js';
import { view } from './schema-view.js';
import type { SpecValidator } from './validator.js';

export type Fixtures = Record<string, JsonObject[]>;

/** A row of the `seed` table. */
export interface SeedRow {
  collection: string;
  parent: string;
  id: string;
  seq: number;
  body: JsonObject;
}

/** A fixture the spec cannot hold, and where. */
export class FixtureError extends Error {
  override name = 'FixtureError';
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The spec's `x-collexa-fixtures`, or none. */
export function specFixtures(doc: OpenApiDoc): Fixtures {
  const raw = doc['x-collexa-fixtures'];
  if (raw === undefined) return {};
  return checkFixtures(raw);
}

export function checkFixtures(raw: Json | unknown): Fixtures {
  if (!isObject(raw) || !Object.values(raw).every((list) => Array.isArray(list) && list.every(isObject)))
    throw new FixtureError('Fixtures are an object of collection paths, each with an array of objects');
  return raw as Fixtures;
}

/** The seed rows of `fixtures`; at most `maxRows`. */
export function seedRows(
  doc: OpenApiDoc,
  inference: Inference,
  validator: SpecValidator,
  fixtures: Fixtures,
  maxRows: number,
): SeedRow[] {
  const rows: SeedRow[] = [];
  const taken = new Map<string, number>();
  for (const [path, list] of Object.entries(fixtures)) {
    const parts = path
      .split('/')
      .filter((s) => s !== '')
      .map((s) => {
        const d = decodeComponent(s);
        if ('problem' in d) throw new FixtureError(`The fixture path ${path} cannot be read`, { path });
        return d.value;
      });
    const c = collectionAt(inference, parts);
    if (!c) throw new FixtureError(`The fixture path ${path} is not a collection the spec defines`, { path });
    const place = placeOf(inference, c, c.path, parts);
    const pathValues = pathParams(doc, c.path, parts, resourceSchemaOf(doc, c));
    list.forEach((fixture, index) => {
      if (rows.length >= maxRows) throw new FixtureError(`More than ${maxRows} fixtures`, { limit: maxRows });
      const given = c.idProperty !== undefined ? fixture[c.idProperty] : undefined;
      let id: string | number;
      if (typeof given === 'string' || typeof given === 'number') id = given;
      else if (c.id.type === 'integer') id = (taken.get(c.key) ?? 0) + 1;
      else id = newStringId(c);
      if (typeof id === 'number') taken.set(c.key, Math.max(taken.get(c.key) ?? 0, id));
      const body = newResource(doc, c, fixture, id, pathValues);
      if (c.resourceSchema) {
        const result = validator.validate(c.resourceSchema, 'fixture', body);
        if (!result.ok)
          throw new FixtureError(`The fixture ${path}[${index}] does not match the spec's schema`, {
            path,
            index,
            errors: result.errors,
          });
      }
      rows.push({ ...place.key, id: String(id), seq: rows.length + 1, body });
    });
  }
  const keys = new Set(rows.map((r) => JSON.stringify([r.collection, r.parent, r.id])));
  if (keys.size !== rows.length) throw new FixtureError('Two fixtures of one collection have the same id');
  return rows;
}

/** The parameters of a concrete path by name, numbers where the resource's property of that name is one. */
function pathParams(doc: OpenApiDoc, template: string, parts: string[], schema: JsonObject | undefined): JsonObject {
  const props = view(doc, schema).properties;
  const out: JsonObject = {};
  template
    .split('/')
    .filter((s) => s !== '')
    .forEach((seg, i) => {
      const name = /^\{([^{}]+)\}$/.exec(seg)?.[1];
      if (name === undefined) return;
      const type = view(doc, props[name]).type;
      const n = Number(parts[i]);
      setOwn(out, name, (type === 'integer' || type === 'number') && Number.isFinite(n) ? n : parts[i]!);
    });
  return out;
}
