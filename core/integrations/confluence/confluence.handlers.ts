/**
 * Confluence's tools on its REST API v1 (`/wiki/rest/api`): content created, read, updated as the next version
 * (read first, then written), searched with CQL; spaces listed. Answers are the vendor's data trimmed to ids,
 * titles, spaces, versions and links.
 */
import type { IntegrationHandlers } from '../server/handler.js';
import {
  atlassianSecrets,
  connectAtlassian,
  obj,
  str,
  num,
  type AtlassianClient,
  type Obj,
} from '../atlassian/atlassian.js';
import { confluenceSpec } from './confluence.spec.js';

const VENDOR = 'Confluence';
const CONTENT = '/wiki/rest/api/content';
// A body beyond this is cut in get_page's answer (the whole of it stays in Confluence).
const MAX_BODY = 100_000;

/** Plain text as storage format: each blank-line-separated block a paragraph, single newlines as breaks. */
export function plainToStorage(text: string): string {
  const escape = (s: string) =>
    s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n{2,}/)
    .filter((p) => p.trim() !== '')
    .map((p) => `<p>${p.split('\n').map(escape).join('<br />')}</p>`)
    .join('');
}

const storageOf = (args: Obj) => {
  const text = String(args.body ?? '');
  return { storage: { value: args.bodyFormat === 'storage' ? text : plainToStorage(text), representation: 'storage' } };
};

/** The page's web link: the `_links` base (`https://<site>/wiki`) and web UI path. */
function urlOf(content: Obj, site: string): string | null {
  const links = obj(content._links);
  const webui = str(links.webui);
  return webui ? `${str(links.base) ?? `${site}/wiki`}${webui}` : null;
}

/** The space key of content: `space.key` when expanded, else the tail of `_expandable.space`. */
function spaceKeyOf(content: Obj): string | null {
  const key = str(obj(content.space).key);
  if (key) return key;
  const ref = str(obj(content._expandable).space);
  return ref ? decodeURIComponent(ref.split('/').pop() ?? '') || null : null;
}

function pageView(content: Obj, site: string): Obj {
  const version = obj(content.version);
  return {
    id: str(content.id),
    title: str(content.title),
    type: str(content.type),
    status: str(content.status),
    spaceKey: spaceKeyOf(content),
    version: num(version.number),
    lastUpdated: str(version.when),
    url: urlOf(content, site),
  };
}

/** The `cursor` of a `_links.next` URL, if there is a next page. */
function nextCursor(links: unknown): string | null {
  const next = str(obj(links).next);
  if (!next) return null;
  try {
    return new URL(next, 'https://confluence.invalid').searchParams.get('cursor');
  } catch {
    return null;
  }
}

const tools: IntegrationHandlers<AtlassianClient>['tools'] = {
  async create_page(args, { client, signal }) {
    const created = await client.http.request<Obj>({
      method: 'POST',
      path: CONTENT,
      json: {
        type: 'page',
        title: args.title,
        space: { key: args.spaceKey },
        ...(typeof args.parentId === 'string' ? { ancestors: [{ id: args.parentId }] } : {}),
        body: storageOf(args),
      },
      signal,
    });
    return pageView(created, client.site);
  },

  async get_page(args, { client, signal }) {
    const page = await client.http.request<Obj>({
      path: `${CONTENT}/${encodeURIComponent(String(args.pageId))}`,
      query: { expand: 'body.storage,version,space,ancestors' },
      signal,
    });
    const ancestors = Array.isArray(page.ancestors) ? page.ancestors.map(obj) : [];
    const value = str(obj(obj(page.body).storage).value);
    return {
      ...pageView(page, client.site),
      parentId: ancestors.length ? str(ancestors.at(-1)!.id) : null,
      body: value !== null && value.length > MAX_BODY ? `${value.slice(0, MAX_BODY)}…` : value,
      bodyFormat: 'storage',
    };
  },

  async update_page(args, { client, signal }) {
    const path = `${CONTENT}/${encodeURIComponent(String(args.pageId))}`;
    const current = await client.http.request<Obj>({ path, query: { expand: 'body.storage,version' }, signal });
    const version = num(obj(current.version).number) ?? 1;
    const updated = await client.http.request<Obj>({
      method: 'PUT',
      path,
      json: {
        type: str(current.type) ?? 'page',
        title: typeof args.title === 'string' ? args.title : current.title,
        version: {
          number: version + 1,
          ...(typeof args.versionMessage === 'string' ? { message: args.versionMessage } : {}),
        },
        body:
          typeof args.body === 'string'
            ? storageOf(args)
            : { storage: { value: str(obj(obj(current.body).storage).value) ?? '', representation: 'storage' } },
      },
      signal,
    });
    return pageView(updated, client.site);
  },

  async search_pages(args, { client, signal }) {
    const res = await client.http.request<Obj>({
      path: `${CONTENT}/search`,
      query: {
        cql: String(args.cql),
        limit: (args.limit as number | undefined) ?? 25,
        cursor: typeof args.cursor === 'string' && args.cursor !== '' ? args.cursor : undefined,
        expand: 'space,version',
      },
      signal,
    });
    const results = Array.isArray(res.results) ? res.results.map(obj) : [];
    return {
      size: num(res.size) ?? results.length,
      results: results.map((r) => pageView(r, client.site)),
      nextCursor: nextCursor(res._links),
    };
  },

  async list_spaces(args, { client, signal }) {
    const res = await client.http.request<Obj>({
      path: '/wiki/rest/api/space',
      query: {
        type: typeof args.type === 'string' ? args.type : undefined,
        limit: (args.limit as number | undefined) ?? 25,
        start: (args.start as number | undefined) ?? 0,
      },
      signal,
    });
    const results = Array.isArray(res.results) ? res.results.map(obj) : [];
    const links = obj(res._links);
    return {
      start: num(res.start) ?? 0,
      size: num(res.size) ?? results.length,
      hasMore: typeof links.next === 'string',
      spaces: results.map((s) => ({
        id: num(s.id) ?? str(s.id),
        key: str(s.key),
        name: str(s.name),
        type: str(s.type),
        status: str(s.status),
        url: str(obj(s._links).webui) ? `${str(links.base) ?? `${client.site}/wiki`}${str(obj(s._links).webui)}` : null,
      })),
    };
  },
};

export const handlers: IntegrationHandlers<AtlassianClient> = {
  spec: confluenceSpec,
  connect: (settings, credential) => connectAtlassian(VENDOR, settings, credential),
  secretsOf: atlassianSecrets,
  tools,
};
