import type { Knex } from 'knex';
import { canonicalHash } from '../canonical-json.js';
import type { ToolDefinition } from '../mcp/client-pool.js';
import { inferToolCategory, toolSearchText } from '../mcp/tool-classify.js';
import { toolDefinitionHash } from '../mcp/tool-pin.js';
import type { McpServerStatus } from '../../contracts/mcp-server.contract.js';
import type { McpServerRow, McpServerStatusEventRow, McpToolRow } from './rows.js';

const CHUNK = 500;

/** The tool catalog (mcp_tools) and the lifecycle status of MCP servers, as their workflows keep them. */
export class McpCatalogRepository {
  constructor(private readonly db: Knex) {}

  /** Replaces a server's catalog with what it serves now; returns whether anything changed. */
  async replaceCatalog(
    server: Pick<McpServerRow, 'id' | 'org_id' | 'catalog_hash'>,
    tools: ToolDefinition[],
  ): Promise<boolean> {
    const hashes = tools.map((t) => ({ tool: t, hash: toolDefinitionHash(t) }));
    const catalogHash = canonicalHash(hashes.map((h) => [h.tool.name, h.hash]).sort());
    if (catalogHash === server.catalog_hash) return false;
    await this.db.transaction(async (trx) => {
      await trx('mcp_tools')
        .where({ server_id: server.id })
        .whereNotIn(
          'name',
          tools.map((t) => t.name),
        )
        .delete();
      for (let i = 0; i < hashes.length; i += CHUNK) {
        const rows = hashes.slice(i, i + CHUNK).map(({ tool, hash }) => {
          const inferred = inferToolCategory(tool);
          return {
            server_id: server.id,
            org_id: server.org_id,
            name: tool.name,
            definition: JSON.stringify(tool),
            definition_hash: hash,
            inferred_category: inferred.category,
            inferred_tags: JSON.stringify(inferred.tags),
            search_text: toolSearchText(tool),
            updated_at: trx.fn.now(),
          };
        });
        // Configured category and tags survive a refresh; only what derives from the definition changes.
        await trx('mcp_tools')
          .insert(rows)
          .onConflict(['server_id', 'name'])
          .merge(['definition', 'definition_hash', 'inferred_category', 'inferred_tags', 'search_text', 'updated_at']);
      }
      await trx('mcp_servers')
        .where({ id: server.id })
        .update({ tools_count: tools.length, catalog_hash: catalogHash });
    });
    return true;
  }

  /** Records a probe's outcome; a status change also goes into the server's history. */
  async recordStatus(
    serverId: string,
    status: McpServerStatus,
    reason: string | null,
    changed: boolean,
  ): Promise<void> {
    const server = await this.db<McpServerRow>('mcp_servers').where({ id: serverId }).first('org_id', 'status');
    if (!server) return;
    await this.db.transaction(async (trx) => {
      await trx('mcp_servers')
        .where({ id: serverId })
        .update({ status, status_reason: reason, last_check_at: trx.fn.now() });
      if (changed || server.status !== status)
        await trx('mcp_server_status_events').insert({ server_id: serverId, org_id: server.org_id, status, reason });
    });
  }

  async recentStatusEvents(serverId: string, limit = 20): Promise<McpServerStatusEventRow[]> {
    return this.db<McpServerStatusEventRow>('mcp_server_status_events')
      .where({ server_id: serverId })
      .orderBy('id', 'desc')
      .limit(limit);
  }

  async toolsOf(serverId: string): Promise<McpToolRow[]> {
    return this.db<McpToolRow>('mcp_tools').where({ server_id: serverId }).orderBy('name');
  }
}
