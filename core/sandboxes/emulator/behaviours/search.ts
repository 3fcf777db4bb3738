/**
 * A search operation over a collection's rows in a query language (query-language.ts): Jira's JQL search
 * (`{startAt, maxResults, total, issues}`, the issues' `fields` cut to those asked for) or Confluence's CQL
 * content search (`{results, start, limit, size, _links}`). A query the subset cannot answer is a 400 the
 * spec's error format (vendor-errors.ts) writes in the vendor's shape.
 */
import { z } from 'zod';
import type { Answer } from '../crud.js';
import { EmulatorError } from '../http-io.js';
import { isObject, type Json, type JsonObject } from '../openapi.js';
import { bodyOf, type BehaviourContext, type BehaviourHandler } from './behaviour.js';
import { OPERATORS, parseQuery, QueryError, type FieldSpec, type Operator } from './query-language.js';
import { runQuery } from './query-run.js';

const EQUALITY: Operator[] = ['=', '!=', 'in', 'not in', 'is', 'is not'];

export const SearchOptions = z.strictObject({
  behaviour: z.literal('search'),
  /** The collection searched (its key, `/rest/api/3/issue`). */
  collection: z.string().min(1).max(500),
  language: z.enum(['jql', 'cql']),
  /** The parameter (query, or body for a POST) holding the query. */
  query: z.string().min(1).max(100),
  /** The language's fields: name → the dotted paths of its values in a row, and the operators it takes. */
  fields: z.record(
    z.string().min(1).max(100),
    z.strictObject({
      paths: z.array(z.string().min(1).max(200)).min(1).max(10),
      ops: z.array(z.enum(OPERATORS as [Operator, ...Operator[]])).optional(),
    }),
  ),
});
export type SearchOptions = z.infer<typeof SearchOptions>;

interface Paging {
  start: number;
  limit: number;
}

const LANGUAGES = {
  jql: {
    name: 'JQL',
    paging: (p: JsonObject): Paging => ({ start: int(p.startAt, 0), limit: Math.min(int(p.maxResults, 50), 100) }),
    answer: (ctx: BehaviourContext, hits: JsonObject[], page: JsonObject[], paging: Paging, p: JsonObject): Json => ({
      expand: 'schema,names',
      startAt: paging.start,
      maxResults: paging.limit,
      total: hits.length,
      issues: page.map((issue) => withFields(issue, p.fields)),
    }),
  },
  cql: {
    name: 'CQL',
    // Confluence pages by an opaque cursor; the emulator's is the offset of the page it points at.
    paging: (p: JsonObject): Paging => ({ start: int(p.cursor, 0), limit: Math.min(int(p.limit, 25), 250) }),
    answer: (ctx: BehaviourContext, hits: JsonObject[], page: JsonObject[], paging: Paging, p: JsonObject): Json => {
      const path = `/${ctx.parts.join('/')}`.replace(/^\/wiki/, '');
      const link = (start: number) =>
        `${path}?${new URLSearchParams({ cql: String(p.cql ?? ''), limit: String(paging.limit), cursor: String(start) })}`;
      const links: JsonObject = { base: `${ctx.origin}/wiki`, context: '/wiki', self: `${ctx.origin}/wiki${path}` };
      if (paging.start + page.length < hits.length) links.next = link(paging.start + page.length);
      if (paging.start > 0) links.prev = link(Math.max(paging.start - paging.limit, 0));
      return { results: page, start: paging.start, limit: paging.limit, size: page.length, _links: links };
    },
  },
};

const int = (v: Json | undefined, fallback: number) => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : fallback;
  return Number.isInteger(n) && n >= 0 ? n : fallback;
};

/** The search behaviour of `options` (checked by the registry). */
export function searchBehaviour(options: SearchOptions): BehaviourHandler {
  const fields: Record<string, FieldSpec> = Object.fromEntries(
    Object.entries(options.fields).map(([name, f]) => [name.toLowerCase(), { paths: f.paths, ops: f.ops ?? EQUALITY }]),
  );
  const language = LANGUAGES[options.language];
  return async (ctx): Promise<Answer> => {
    // A POST search takes its parameters in the body, a GET in the query.
    const params = ctx.request.body !== undefined ? bodyOf(ctx.request) : ctx.request.query;
    const text = params[options.query];
    let query;
    try {
      query = parseQuery(typeof text === 'string' ? text : '', fields, language.name);
    } catch (err) {
      if (err instanceof QueryError)
        throw new EmulatorError(400, 'invalid_query', err.message, { query: text ?? null });
      throw err;
    }
    const hits = runQuery(query, await ctx.rows.scan(options.collection, ''), fields);
    const paging = language.paging(params);
    const page = hits.slice(paging.start, paging.start + paging.limit);
    return { status: 200, body: language.answer(ctx, hits, page, paging, params) };
  };
}

/**
 * A Jira issue with only the fields asked for: names, `*all` and `*navigable` (every field here), `-name` to
 * leave one out; comma-separated or repeated, as Jira takes them.
 */
function withFields(issue: JsonObject, asked: Json | undefined): JsonObject {
  const names = (Array.isArray(asked) ? asked : typeof asked === 'string' ? [asked] : [])
    .flatMap((v) => (typeof v === 'string' ? v.split(',') : []))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (names.length === 0 || !isObject(issue.fields)) return issue;
  const all = names.some((n) => n === '*all' || n === '*navigable');
  const include = new Set(names.filter((n) => !n.startsWith('-') && !n.startsWith('*')));
  const exclude = new Set(names.filter((n) => n.startsWith('-')).map((n) => n.slice(1)));
  const fields = Object.fromEntries(
    Object.entries(issue.fields).filter(([k]) => (all || include.has(k)) && !exclude.has(k)),
  );
  return { ...issue, fields };
}
