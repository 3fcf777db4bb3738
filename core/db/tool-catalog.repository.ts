import type { Knex } from 'knex';
import { notFound } from '../errors.js';
import type { McpToolRow } from './rows.js';

export interface ToolSearch {
  query?: string;
  server?: string;
  /** Exactly this tool name. */
  name?: string;
  category?: string;
  tag?: string;
  limit: number;
}

export interface ToolStats {
  calls: number;
  errors: number;
  p50LatencyMs: number | null;
}

export type CatalogTool = McpToolRow & { server_name: string };
export type CatalogEntry = CatalogTool & { stats: ToolStats };

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Catalog search over every tool the org's MCP servers serve, with per-tool call statistics. */
export class ToolCatalogRepository {
  constructor(private readonly db: Knex) {}

  /** The catalog's tools matching `f`, with their call statistics. */
  async search(orgId: string, f: ToolSearch): Promise<CatalogEntry[]> {
    const rows = await this.tools(orgId, f);
    const stats = await this.statsFor(orgId, rows);
    return rows.map((r) => ({
      ...r,
      stats: stats.get(`${r.server_id}/${r.name}`) ?? { calls: 0, errors: 0, p50LatencyMs: null },
    }));
  }

  /** The catalog's tools matching `f`, without statistics (what ranking reads: no scan of invocations). */
  async tools(orgId: string, f: ToolSearch): Promise<CatalogTool[]> {
    const q = this.db('mcp_tools as t').join('mcp_servers as s', 's.id', 't.server_id').where('t.org_id', orgId);
    // search_text is lower-cased and trigram-indexed, so a substring match stays an index scan.
    if (f.query) q.andWhere('t.search_text', 'like', `%${escapeLike(f.query.toLowerCase())}%`);
    if (f.server)
      q.andWhere((w) =>
        /^[0-9a-f-]{36}$/i.test(f.server!) ? w.where('s.id', f.server!) : w.where('s.name', f.server!),
      );
    if (f.name !== undefined) q.andWhere('t.name', f.name);
    if (f.category) q.andWhereRaw('coalesce(t.category, t.inferred_category) = ?', [f.category]);
    if (f.tag)
      q.andWhere((w) =>
        w
          .whereRaw('t.tags @> ?::jsonb', [JSON.stringify([f.tag])])
          .orWhereRaw('t.inferred_tags @> ?::jsonb', [JSON.stringify([f.tag])]),
      );
    // Ordered as the (org_id, name, server_id) indexes are, so a page is read in index order and stops early.
    return q
      .orderBy([{ column: 't.name' }, { column: 't.server_id' }])
      .limit(f.limit)
      .select('t.*', 's.name as server_name');
  }

  /** Calls, failures and median tool latency from the org's invocations, for just these tools. */
  private async statsFor(
    orgId: string,
    tools: Pick<McpToolRow, 'server_id' | 'name'>[],
  ): Promise<Map<string, ToolStats>> {
    if (tools.length === 0) return new Map();
    const pairs = tools.map((t) => [t.server_id, t.name]);
    const rows = await this.db('invocations as i')
      .join('agent_capabilities as c', (j) =>
        j.on('c.agent_id', '=', 'i.agent_id').andOn('c.name', '=', 'i.capability'),
      )
      .where('i.org_id', orgId)
      .whereNotNull('i.tool_started_at')
      .whereIn(['c.server_id', 'c.tool'], pairs)
      .groupBy('c.server_id', 'c.tool')
      .select(
        'c.server_id',
        'c.tool',
        this.db.raw('count(*)::int as calls'),
        this.db.raw("count(*) filter (where i.status = 'failed')::int as errors"),
        this.db.raw(
          "percentile_cont(0.5) within group (order by extract(epoch from (i.completed_at - i.tool_started_at)) * 1000) filter (where i.status = 'succeeded') as p50",
        ),
      );
    return new Map(
      rows.map((r: { server_id: string; tool: string; calls: number; errors: number; p50: number | null }) => [
        `${r.server_id}/${r.tool}`,
        { calls: r.calls, errors: r.errors, p50LatencyMs: r.p50 === null ? null : Math.round(Number(r.p50) * 10) / 10 },
      ]),
    );
  }

  /** Sets the configured category and/or tags of one tool (null clears the category). */
  async configure(
    orgId: string,
    serverId: string,
    name: string,
    patch: { category?: string | null; tags?: string[] },
  ): Promise<void> {
    const n = await this.db('mcp_tools')
      .where({ org_id: orgId, server_id: serverId, name })
      .update({
        ...(patch.category !== undefined ? { category: patch.category } : {}),
        ...(patch.tags ? { tags: JSON.stringify(patch.tags) } : {}),
      });
    if (n === 0) throw notFound('tool', name);
  }
}
