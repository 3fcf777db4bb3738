// Catalog search over a seeded org: GET /v1/tools over HTTP, ToolCatalogRepository.search alone, and
// GET /v1/me (the floor: HTTP, auth, JSON) for a mix of queries; EXPLAIN ANALYZE of each query's SQL.
import pg from 'pg';
import type { Db } from '../../core/db/knex.js';
import { ToolCatalogRepository, type ToolSearch } from '../../core/db/tool-catalog.repository.js';
import {
  combine,
  runClosedLoop,
  runRotating,
  summarize,
  summarizeByLabel,
  type OpOutcome,
  type PathResult,
  type Summary,
} from '../lib/load.js';

/** One kind of search a console or an agent host makes; `params` are GET /v1/tools's query string. */
interface CatalogQuery {
  label: string;
  params: { query?: string; server?: string; category?: string; tag?: string };
}

/** The mix, cycled through in order: substring hits (common, rare, short), misses, filters and their combinations. */
export const CATALOG_QUERIES: CatalogQuery[] = [
  { label: 'query=issue', params: { query: 'issue' } },
  { label: 'query=invoice', params: { query: 'invoice' } },
  { label: 'query=create', params: { query: 'create' } },
  { label: 'query=by_owner', params: { query: 'by_owner' } },
  { label: 'query=zzyzx (miss)', params: { query: 'zzyzx' } },
  { label: 'query=refund order (near miss)', params: { query: 'refund order' } },
  { label: 'query=db (2 chars)', params: { query: 'db' } },
  { label: 'category=read', params: { category: 'read' } },
  { label: 'tag=destructive', params: { tag: 'destructive' } },
  { label: 'tag=invoice', params: { tag: 'invoice' } },
  { label: 'category=write&query=update', params: { category: 'write', query: 'update' } },
  { label: 'server=stripe&query=list', params: { server: 'stripe', query: 'list' } },
  { label: 'no filter', params: {} },
];

const LIMIT = 50; // GET /v1/tools's default page

/** How many of the org's tools each query matches (the page returns at most LIMIT of them). */
async function matchCounts(db: Db, orgId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const { label, params: p } of CATALOG_QUERIES) {
    const q = db('mcp_tools as t').join('mcp_servers as s', 's.id', 't.server_id').where('t.org_id', orgId);
    if (p.query) q.andWhereRaw('strpos(t.search_text, ?) > 0', [p.query.toLowerCase()]);
    if (p.server) q.andWhere('s.name', p.server);
    if (p.category) q.andWhereRaw('coalesce(t.category, t.inferred_category) = ?', [p.category]);
    if (p.tag)
      q.andWhere((w) =>
        w
          .whereRaw('t.tags @> ?::jsonb', [JSON.stringify([p.tag])])
          .orWhereRaw('t.inferred_tags @> ?::jsonb', [JSON.stringify([p.tag])]),
      );
    out[label] = Number(((await q.count<{ n: string }[]>('* as n')) as { n: string }[])[0]!.n);
  }
  return out;
}

/** One statement the repository ran for a query, with its plan under EXPLAIN (ANALYZE, BUFFERS). */
export interface ExplainedStatement {
  sql: string;
  planningMs: number;
  executionMs: number;
  plan: string;
  /** The same with enable_seqscan off (a diagnostic: what the planner's other choice, e.g. the trigram index, costs). */
  noSeqScan: { executionMs: number; plan: string };
}

const timeOf = (plan: string, what: 'Planning' | 'Execution') =>
  Number(new RegExp(`${what} Time: ([\\d.]+) ms`).exec(plan)?.[1] ?? NaN);

/**
 * Runs each query once through the repository, catching the SQL knex sends (the 'query' event carries
 * it with $n placeholders and its bindings), and EXPLAIN ANALYZEs each statement over a plain pg client,
 * as planned and again with sequential scans disabled.
 */
async function explainQueries(
  db: Db,
  databaseUrl: string,
  orgId: string,
): Promise<Record<string, ExplainedStatement[]>> {
  const repo = new ToolCatalogRepository(db);
  const pgClient = new pg.Client({ connectionString: databaseUrl });
  await pgClient.connect();
  const explain = async (sql: string, bindings: unknown[]) =>
    (await pgClient.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) ${sql}`, bindings)).rows
      .map((row) => row['QUERY PLAN'])
      .join('\n');
  const out: Record<string, ExplainedStatement[]> = {};
  try {
    for (const { label, params } of CATALOG_QUERIES) {
      const seen: { sql: string; bindings: unknown[] }[] = [];
      const listener = (q: { sql: string; bindings?: unknown[] }) =>
        seen.push({ sql: q.sql, bindings: q.bindings ?? [] });
      db.on('query', listener);
      try {
        await repo.search(orgId, { ...params, limit: LIMIT });
      } finally {
        db.off('query', listener);
      }
      out[label] = [];
      for (const s of seen) {
        const plan = await explain(s.sql, s.bindings);
        await pgClient.query('begin');
        let noSeq: string;
        try {
          await pgClient.query('set local enable_seqscan = off');
          noSeq = await explain(s.sql, s.bindings);
        } finally {
          await pgClient.query('rollback');
        }
        out[label].push({
          sql: s.sql,
          planningMs: timeOf(plan, 'Planning'),
          executionMs: timeOf(plan, 'Execution'),
          plan,
          noSeqScan: { executionMs: timeOf(noSeq, 'Execution'), plan: noSeq },
        });
      }
    }
  } finally {
    await pgClient.end();
  }
  return out;
}

/** Size of one GET /v1/tools answer per query (what the API serialises and the client parses). */
async function responseBytes(url: string, key: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const { label, params } of CATALOG_QUERIES) {
    const res = await fetch(`${url}/v1/tools?${new URLSearchParams(params).toString()}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    out[label] = (await res.arrayBuffer()).byteLength;
  }
  return out;
}

/** The trigram index's pending list (GIN fastupdate: new entries wait there, scanned by every search, until a vacuum). */
async function ginPending(db: Db): Promise<{ pendingPages: number; pendingTuples: number } | null> {
  try {
    await db.raw('create extension if not exists pgstattuple'); // the bench's own database: a diagnostic only
    const r = await db.raw<{ rows: { pending_pages: number; pending_tuples: string }[] }>(
      "select pending_pages, pending_tuples from pgstatginindex('mcp_tools_search_trgm')",
    );
    return { pendingPages: Number(r.rows[0]!.pending_pages), pendingTuples: Number(r.rows[0]!.pending_tuples) };
  } catch {
    return null;
  }
}

/** Repository p50 per query, `times` calls each, one at a time. */
async function quickPass(repo: ToolCatalogRepository, orgId: string, times: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const { label, params } of CATALOG_QUERIES) {
    const run = await runClosedLoop(times, 1, async () => {
      await repo.search(orgId, { ...params, limit: LIMIT });
      return { ok: true };
    });
    out[label] = summarize(run.samples.map((x) => x.ms)).p50;
  }
  return out;
}

export interface CatalogResult {
  tools: number;
  /**
   * Right after the bulk write, before any vacuum: repository p50 per query (10 calls each) and the GIN
   * pending list; then the state measured below, after VACUUM ANALYZE (what autovacuum leaves).
   */
  fresh: { repositoryP50: Record<string, number>; ginPending: { pendingPages: number; pendingTuples: number } | null };
  settledGinPending: { pendingPages: number; pendingTuples: number } | null;
  matches: Record<string, number>;
  responseBytes: Record<string, number>;
  /** Per way of asking: all queries together, and per query. */
  http: PathResult & { byQuery: Record<string, Summary> };
  repository: PathResult & { byQuery: Record<string, Summary> };
  floor: PathResult;
  order: string[];
  explain: Record<string, ExplainedStatement[]>;
}

/**
 * On a freshly seeded catalog: a quick repository pass as written, then VACUUM ANALYZE (the state
 * autovacuum reaches about a minute after a bulk catalog write, and keeps between the rare refreshes that
 * change anything), then `requests` searches of each kind (HTTP, repository, floor) at concurrency 1,
 * rotating between them in rounds after `warmup` of each; then explains every query once.
 */
export async function benchCatalog(opts: {
  url: string;
  key: string;
  db: Db;
  databaseUrl: string;
  orgId: string;
  tools: number;
  requests: number;
  warmup: number;
  rounds: number;
}): Promise<CatalogResult> {
  const { url, key, db, orgId } = opts;
  const repo = new ToolCatalogRepository(db);
  const headers = { authorization: `Bearer ${key}` };
  const pick = (i: number) => CATALOG_QUERIES[i % CATALOG_QUERIES.length]!;
  const fresh = { ginPending: await ginPending(db), repositoryP50: await quickPass(repo, orgId, 10) };
  await db.raw('vacuum analyze mcp_tools, mcp_servers');
  const settledGinPending = await ginPending(db);
  const ops = {
    async http(i: number): Promise<OpOutcome> {
      const { label, params } = pick(i);
      const res = await fetch(`${url}/v1/tools?${new URLSearchParams(params).toString()}`, { headers });
      const body = (await res.json()) as { data?: unknown[] };
      return res.status === 200 && Array.isArray(body.data)
        ? { ok: true, label }
        : { ok: false, label, error: `${res.status} ${JSON.stringify(body).slice(0, 200)}` };
    },
    async repository(i: number): Promise<OpOutcome> {
      const { label, params } = pick(i);
      const search: ToolSearch = { ...params, limit: LIMIT };
      await repo.search(orgId, search);
      return { ok: true, label };
    },
    async floor(): Promise<OpOutcome> {
      const res = await fetch(`${url}/v1/me`, { headers });
      await res.arrayBuffer();
      return { ok: res.status === 200, ...(res.status === 200 ? {} : { error: String(res.status) }) };
    },
  };
  for (let i = 0; i < opts.warmup; i++)
    for (const op of Object.values(ops)) if (!(await op(i)).ok) throw new Error('catalog warm-up failed');
  const { runs, order } = await runRotating(ops, {
    n: opts.requests,
    rounds: opts.rounds,
    concurrency: 1,
    pauseMs: 100,
  });
  const withLabels = (name: 'http' | 'repository') => ({
    ...combine(runs[name]),
    byQuery: summarizeByLabel(runs[name].flatMap((r) => r.samples)),
  });
  return {
    tools: opts.tools,
    fresh,
    settledGinPending,
    matches: await matchCounts(db, orgId),
    responseBytes: await responseBytes(url, key),
    http: withLabels('http'),
    repository: withLabels('repository'),
    floor: combine(runs.floor),
    order,
    explain: await explainQueries(db, opts.databaseUrl, orgId),
  };
}
