/**
 * Confluence's content (REST API v1) as the emulator keeps it: one row per page or blog post (a Content:
 * `id`, `type`, `status`, `title`, `space`, `version`, `body`, `ancestors`, `_links`), numbered as Confluence
 * numbers content, titles unique per space for pages, and updates that must carry the next version number
 * (409 otherwise, as Confluence answers a stale edit). Messages are Confluence's.
 */
import { z } from 'zod';
import type { Answer } from '../crud.js';
import { EmulatorError } from '../http-io.js';
import type { Inference } from '../inference.js';
import type { JsonObject } from '../openapi.js';
import {
  atlassianTime,
  bodyOf,
  collectionOf,
  insert,
  itemOf,
  objectAt,
  save,
  stringAt,
  type BehaviourContext,
  type BehaviourHandler,
} from './behaviour.js';

export const ConfluenceOptions = z.strictObject({
  /** The content collection (`/wiki/rest/api/content`). */
  content: z.string().min(1).max(500),
});
export type ConfluenceOptions = z.infer<typeof ConfluenceOptions>;

const TYPES = new Set(['page', 'blogpost']);

/** The Confluence behaviours, by name, over the spec's content collection. */
export function confluenceBehaviours(
  options: ConfluenceOptions,
  inference: Inference,
): Record<string, BehaviourHandler> {
  const content = collectionOf(inference, options.content);
  if (!content?.itemPath) throw new Error(`confluence.content names no collection with items: ${options.content}`);
  const notFound = (id: string) => `No content found with id: ContentId{id=${id}}`;

  /** 400 when another page of the space has the title (Confluence's pages are unique by title per space). */
  const checkTitle = async (ctx: BehaviourContext, spaceKey: string, title: string, type: string, self?: string) => {
    if (type !== 'page') return;
    const taken = (await ctx.rows.scan(content.key, '')).some(
      (c) => c.type === 'page' && c.title === title && objectAt(c.space)?.key === spaceKey && c.id !== self,
    );
    if (taken)
      throw new EmulatorError(
        400,
        'title_taken',
        `A page with this title already exists: A page already exists with the same TITLE in this space`,
      );
  };

  const createPage = async (ctx: BehaviourContext): Promise<Answer> => {
    const given = bodyOf(ctx.request);
    const type = stringAt(given.type) ?? '';
    const title = (stringAt(given.title) ?? '').trim();
    const spaceKey = stringAt(objectAt(given.space)?.key);
    if (!TYPES.has(type)) throw new EmulatorError(400, 'invalid_type', `Unsupported content type: ${type}`);
    if (!spaceKey) throw new EmulatorError(400, 'invalid_space', 'Space key is required to create content');
    if (title === '') throw new EmulatorError(400, 'invalid_title', 'Title is required to create content');
    await checkTitle(ctx, spaceKey, title, type);
    const ancestors = await ancestorsOf(ctx, given);
    const id = String(await ctx.rows.nextInteger(content.key, 65537));
    const now = atlassianTime();
    const page: JsonObject = {
      id,
      type,
      status: stringAt(given.status) ?? 'current',
      title,
      space: { key: spaceKey, name: spaceKey, type: 'global', status: 'current', _links: {}, _expandable: {} },
      history: { latest: true, createdDate: now },
      version: { number: 1, when: now, minorEdit: false, message: '', _links: {} },
      ancestors,
      body: bodyFrom(given) ?? {},
      extensions: {},
      _expandable: {},
      _links: linksOf(ctx, id, spaceKey, title, type),
    };
    await insert(ctx, { collection: content.key, parent: '', id }, page);
    return { status: 200, body: page };
  };

  const updatePage = async (ctx: BehaviourContext): Promise<Answer> => {
    const item = await itemOf(ctx, content, notFound(ctx.parts.at(-1) ?? ''));
    const given = bodyOf(ctx.request);
    const current = Number(objectAt(item.body.version)?.number ?? 1);
    const next = Number(objectAt(given.version)?.number);
    if (next !== current + 1)
      throw new EmulatorError(
        409,
        'version_conflict',
        `Version must be incremented on update. Current version is: ${current}`,
      );
    const type = stringAt(given.type) ?? stringAt(item.body.type)!;
    if (type !== item.body.type)
      throw new EmulatorError(
        400,
        'invalid_type',
        `Changing the type of content from ${String(item.body.type)} to ${type} is not supported`,
      );
    const title = (stringAt(given.title) ?? stringAt(item.body.title) ?? '').trim();
    if (title === '') throw new EmulatorError(400, 'invalid_title', 'Title is required to update a page');
    const spaceKey = stringAt(objectAt(item.body.space)?.key) ?? '';
    await checkTitle(ctx, spaceKey, title, type, item.body.id as string);
    const message = stringAt(objectAt(given.version)?.message) ?? '';
    const updated: JsonObject = {
      ...item.body,
      title,
      status: stringAt(given.status) ?? stringAt(item.body.status) ?? 'current',
      version: {
        number: next,
        when: atlassianTime(),
        minorEdit: objectAt(given.version)?.minorEdit === true,
        message,
        _links: {},
      },
      body: bodyFrom(given) ?? item.body.body ?? {},
      ...(Array.isArray(given.ancestors) ? { ancestors: await ancestorsOf(ctx, given) } : {}),
      _links: linksOf(ctx, item.body.id as string, spaceKey, title, type),
    };
    await save(ctx, item.key, updated);
    return { status: 200, body: updated };
  };

  /** The new parent (the first of `ancestors`) and its own ancestors, as Confluence lists them; 404 when it is none. */
  const ancestorsOf = async (ctx: BehaviourContext, given: JsonObject): Promise<JsonObject[]> => {
    const first = Array.isArray(given.ancestors) ? objectAt(given.ancestors[0]) : undefined;
    const parentId = stringAt(first?.id);
    if (parentId === undefined) return [];
    const parent = await ctx.rows.get({ collection: content.key, parent: '', id: parentId });
    if (!parent) throw new EmulatorError(404, 'not_found', notFound(parentId));
    const chain = Array.isArray(parent.ancestors) ? (parent.ancestors as JsonObject[]) : [];
    return [
      ...chain,
      { id: parentId, type: parent.type ?? 'page', status: parent.status ?? 'current', title: parent.title ?? '' },
    ];
  };

  return { 'confluence.createPage': createPage, 'confluence.updatePage': updatePage };
}

/** The storage body given (`body.storage`: value and representation), if any. */
function bodyFrom(given: JsonObject): JsonObject | undefined {
  const storage = objectAt(objectAt(given.body)?.storage);
  if (!storage) return undefined;
  return { storage: { value: stringAt(storage.value) ?? '', representation: 'storage', _expandable: {} } };
}

function linksOf(ctx: BehaviourContext, id: string, spaceKey: string, title: string, type: string): JsonObject {
  const slug = encodeURIComponent(title.replace(/\s+/g, '+')).replace(/%2B/g, '+');
  const kind = type === 'blogpost' ? 'blog' : 'pages';
  return {
    webui: `/spaces/${encodeURIComponent(spaceKey)}/${kind}/${id}/${slug}`,
    edit: `/pages/resumedraft.action?draftId=${id}`,
    tinyui: `/x/${Buffer.from(id).toString('base64url')}`,
    self: `${ctx.origin}/wiki/rest/api/content/${id}`,
    base: `${ctx.origin}/wiki`,
    context: '/wiki',
  };
}
