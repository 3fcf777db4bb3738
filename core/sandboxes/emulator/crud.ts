/**
 * The stateful half of the emulator: list, create, read, replace, update (JSON merge patch) and delete on
 * the rows of a sandbox's database. The server fields a resource's schema declares are the emulator's to
 * set: the id, creation and update times, the parent's id (a comment's `issueId`); the required fields
 * still missing get plausible values, so a created resource reads back as the spec says it looks.
 */
import type { Collection, CrudKind } from './inference.js';
import type { Place } from './routing.js';
import { EmulatorError } from './http-io.js';
import {
  deref,
  isObject,
  jsonMedia,
  setOwn,
  successStatus,
  type Json,
  type JsonObject,
  type OpenApiDoc,
} from './openapi.js';
import type { CheckedRequest } from './request.js';
import type { ResourceRows } from './rows.js';
import { CREATED, mergePatch, newResource, newStringId, resourceSchemaOf, stamp, UPDATED } from './resource.js';
import { completed, hasFlag, view, withoutWriteOnly } from './schema-view.js';

const MAX_PAGE = 1000;

export interface Answer {
  status: number;
  body?: Json;
  headers?: Record<string, string>;
}

export class Crud {
  constructor(
    private readonly doc: OpenApiDoc,
    private readonly rows: ResourceRows,
  ) {}

  async run(kind: CrudKind, c: Collection, place: Place, req: CheckedRequest): Promise<Answer> {
    if (place.parent && !(await this.rows.exists(place.parent)))
      throw new EmulatorError(404, 'not_found', `${place.key.parent} not found`, { path: place.key.parent });
    if (kind === 'list') return this.list(c, place, req);
    if (kind === 'create') return this.create(c, place, req);
    const existing = await this.rows.get(place.key);
    if (!existing)
      throw new EmulatorError(404, 'not_found', `${place.itemPath} not found`, {
        path: place.itemPath,
        id: place.key.id,
      });
    const status = successStatus(c.operations[kind]!)?.status ?? 200;
    if (kind === 'read') return { status, body: this.shown(c, existing) };
    if (kind === 'delete') return this.remove(c, place, existing);
    const input = this.writable(c, isObject(req.body) ? req.body : {});
    const next = kind === 'update' ? mergePatch(existing, input) : { ...input };
    if (kind === 'replace')
      for (const [k, v] of Object.entries(existing)) if (this.serverField(c, k, req)) setOwn(next, k, v);
    stamp(this.doc, c, next, UPDATED, true);
    const body = completed(this.doc, this.schema(c), next);
    if ((await this.rows.update(place.key, body)) === 'full')
      throw new EmulatorError(507, 'sandbox_full', 'The sandbox holds as much as it may', {});
    return { status, body: this.shown(c, body) };
  }

  private async list(c: Collection, place: Place, req: CheckedRequest): Promise<Answer> {
    const op = c.operations.list!;
    const resource = view(this.doc, this.schema(c));
    const q = req.query;
    const pick = (...names: string[]) => names.find((n) => q[n] !== undefined && q[n] !== null);
    const limitName = pick(
      'limit',
      'per_page',
      'perPage',
      'pageSize',
      'page_size',
      'maxResults',
      'max_results',
      'size',
    );
    const limit = Math.min(limitName ? Number(q[limitName]) : MAX_PAGE, MAX_PAGE);
    const offsetName = pick('offset', 'skip', 'start');
    const page = q.page !== undefined ? Number(q.page) : undefined;
    const offset = offsetName ? Number(q[offsetName]) : page !== undefined ? Math.max(page - 1, 0) * limit : 0;
    const after = pick('starting_after', 'after', 'cursor');
    const before = pick('ending_before', 'before');
    const paging = new Set([limitName, offsetName, 'page', after, before]);
    // A declared query parameter named as a property filters by equality (an array property: by elements held);
    // one whose value is an object (Stripe's `created[gt]=`) is a range or an expansion, not an equality.
    const filters = op.parameters.flatMap((p) => {
      const value = q[p.name];
      if (p.in !== 'query' || paging.has(p.name) || value === undefined || !resource.properties[p.name]) return [];
      const values = Array.isArray(value) ? value : [value];
      if (!values.every((v) => v === null || typeof v !== 'object')) return [];
      return [{ property: p.name, values, contains: view(this.doc, resource.properties[p.name]).type === 'array' }];
    });
    const { items, total } = await this.rows.list(c.key, place.key.parent, {
      filters,
      limit: Number.isFinite(limit) && limit > 0 ? limit : MAX_PAGE,
      offset: Number.isFinite(offset) && offset > 0 ? offset : 0,
      ...(after ? { after: String(q[after]) } : {}),
      ...(before ? { before: String(q[before]) } : {}),
    });
    const shown = items.map((r) => this.shown(c, r));
    const status = successStatus(op)?.status ?? 200;
    const listSchema = jsonMedia(successStatus(op)?.content ?? {})?.schema;
    if (!c.list?.property || !listSchema) return { status, body: shown };
    const envelopeSchema = deref(this.doc, listSchema)?.value;
    const envelope = view(this.doc, envelopeSchema);
    const body: JsonObject = {};
    setOwn(body, c.list.property, shown);
    const more = offset + items.length < total;
    for (const name of Object.keys(envelope.properties)) {
      if (name === c.list.property) continue;
      const type = view(this.doc, envelope.properties[name]).type;
      if (q[name] !== undefined) setOwn(body, name, q[name]!);
      else if (/^(total|total_?count|totalCount|count|totalItems|total_results|totalResults)$/.test(name))
        setOwn(body, name, total);
      else if (/^(has_?more|hasMore|has_next|hasNext)$/.test(name) && type === 'boolean') setOwn(body, name, more);
      else if (name === 'url' && type === 'string') setOwn(body, name, place.itemPath);
    }
    return { status, body: completed(this.doc, envelopeSchema, body) };
  }

  private async create(c: Collection, place: Place, req: CheckedRequest): Promise<Answer> {
    const input = this.writable(c, isObject(req.body) ? req.body : {});
    const chosen = c.idProperty !== undefined && ['string', 'number'].includes(typeof input[c.idProperty]);
    for (let attempt = 0; attempt < 5; attempt++) {
      const id = chosen ? (input[c.idProperty!] as string | number) : await this.newId(c);
      const full = newResource(this.doc, c, input, id, req.path);
      const key = { ...place.key, id: String(id) };
      const done = await this.rows.insert(key, full);
      if (done === 'full')
        throw new EmulatorError(507, 'sandbox_full', 'The sandbox holds as many resources as it may', {});
      if (done === 'ok') {
        const location = `${place.itemPath}/${encodeURIComponent(String(id))}`;
        return {
          status: successStatus(c.operations.create!)?.status ?? 201,
          body: this.shown(c, full),
          headers: { location },
        };
      }
      if (chosen) throw new EmulatorError(409, 'conflict', `${place.itemPath}/${id} exists`, { id });
    }
    throw new EmulatorError(409, 'conflict', 'No free id was found for the new resource');
  }

  private async remove(c: Collection, place: Place, existing: JsonObject): Promise<Answer> {
    await this.rows.remove(place.key, place.itemPath);
    const success = successStatus(c.operations.delete!);
    const pointer = jsonMedia(success?.content ?? {})?.schema;
    if (!success || !pointer || success.status === 204) return { status: success?.status ?? 204 };
    const schema = deref(this.doc, pointer);
    if (schema?.pointer === c.resourceSchema) return { status: success.status, body: this.shown(c, existing) };
    // Stripe's `deleted_customer`: {id, object, deleted: true}.
    const props = view(this.doc, schema?.value).properties;
    const base: JsonObject = {};
    if (c.idProperty && (props[c.idProperty] || Object.keys(props).length === 0))
      setOwn(base, c.idProperty, existing[c.idProperty] ?? place.key.id);
    if (props.deleted) base.deleted = true;
    return { status: success.status, body: completed(this.doc, schema?.value, base) };
  }

  private schema(c: Collection): JsonObject | undefined {
    return resourceSchemaOf(this.doc, c);
  }

  private shown(c: Collection, body: JsonObject): JsonObject {
    return withoutWriteOnly(this.doc, this.schema(c), body);
  }

  /** The input without what the server owns: readOnly properties a client sent are not the client's to set. */
  private writable(c: Collection, input: JsonObject): JsonObject {
    const props = view(this.doc, this.schema(c)).properties;
    return Object.fromEntries(Object.entries(input).filter(([k]) => !hasFlag(this.doc, props[k], 'readOnly')));
  }

  /** What a replace keeps: the id, the creation time, readOnly fields and the parent's id. */
  private serverField(c: Collection, name: string, req: CheckedRequest): boolean {
    const props = view(this.doc, this.schema(c)).properties;
    return (
      name === c.idProperty ||
      CREATED.includes(name) ||
      Object.hasOwn(req.path, name) ||
      hasFlag(this.doc, props[name], 'readOnly')
    );
  }

  private async newId(c: Collection): Promise<string | number> {
    return c.id.type === 'integer' ? this.rows.nextInteger(c.key) : newStringId(c);
  }
}
