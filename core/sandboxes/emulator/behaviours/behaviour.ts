/**
 * What a vendor behaviour is given and may use: the request as checked against its operation, the path with
 * aliases resolved to row ids, and the sandbox's rows. A behaviour answers an operation the generic CRUD would
 * get wrong (a search, a workflow transition, a versioned update); it stores what it makes as ordinary rows,
 * so the generic reads, lists and resets see the same state. A behaviour that only shapes a request (a GitHub
 * pull request's branch names as objects) adjusts `request.body` and answers `generic()`.
 */
import type { Answer } from '../crud.js';
import { EmulatorError } from '../http-io.js';
import type { Collection, Inference } from '../inference.js';
import { isObject, type Json, type JsonObject, type OpenApiDoc } from '../openapi.js';
import type { CheckedRequest } from '../request.js';
import { placeOf, split } from '../routing.js';
import type { ResourceRows, RowKey } from '../rows.js';

export interface BehaviourContext {
  doc: OpenApiDoc;
  inference: Inference;
  rows: ResourceRows;
  request: CheckedRequest;
  /** The request path's parts, decoded, each aliased id (a Jira issue key) replaced by its row's id. */
  parts: string[];
  /** `http://host:port` as the client reached the emulator: the base of the `self` links it answers. */
  origin: string;
  /** What the generic emulator answers to `request` as it now is (CRUD, or the operation's example). */
  generic: () => Promise<Answer>;
}

export type BehaviourHandler = (ctx: BehaviourContext) => Promise<Answer>;

/** The collection with this key (`/rest/api/3/issue`), or a SpecError-worthy message. */
export function collectionOf(inference: Inference, key: string): Collection | undefined {
  return inference.collections.find((c) => c.key === key || c.path === key);
}

/** The item of collection `c` the request path starts with (`/rest/api/3/issue/10000/comment` → issue 10000). */
export async function itemOf(
  ctx: BehaviourContext,
  c: Collection,
  notFound: string,
): Promise<{ key: RowKey; body: JsonObject; path: string }> {
  const length = split(c.itemPath!).length;
  const parts = ctx.parts.slice(0, length);
  const place = placeOf(ctx.inference, c, c.itemPath!, parts);
  const body = await ctx.rows.get(place.key);
  if (!body) throw new EmulatorError(404, 'not_found', notFound, { path: place.itemPath });
  return { key: place.key, body, path: place.itemPath };
}

/** Writes a changed row back; a sandbox at its storage limit answers 507 as a create would. */
export async function save(ctx: BehaviourContext, key: RowKey, body: JsonObject): Promise<void> {
  const done = await ctx.rows.update(key, body);
  if (done === 'full') throw new EmulatorError(507, 'sandbox_full', 'The sandbox holds as much as it may', {});
  if (done === 'missing') throw new EmulatorError(404, 'not_found', 'The resource is gone', {});
}

/** Inserts a new row; 507 when the sandbox is full, 409 when the id is taken. */
export async function insert(ctx: BehaviourContext, key: RowKey, body: JsonObject): Promise<void> {
  const done = await ctx.rows.insert(key, body);
  if (done === 'full') throw new EmulatorError(507, 'sandbox_full', 'The sandbox holds as many resources as it may');
  if (done === 'exists') throw new EmulatorError(409, 'conflict', `${key.collection}/${key.id} exists`, {});
}

/** The body as an object (a behaviour's operation takes a JSON object; the validator has checked its shape). */
export const bodyOf = (req: CheckedRequest): JsonObject => (isObject(req.body) ? req.body : {});

export const objectAt = (v: Json | undefined): JsonObject | undefined => (isObject(v) ? v : undefined);

export const stringAt = (v: Json | undefined): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;

/** An instant as Atlassian writes it: `2025-01-31T09:30:00.000+0000`. */
export const atlassianTime = (at = new Date()) => at.toISOString().replace('Z', '+0000');
