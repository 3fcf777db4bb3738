import type { Knex } from 'knex';
import { AuditRepository } from '../db/audit.repository.js';
import { ToolCatalogRepository, type CatalogEntry, type ToolSearch } from '../db/tool-catalog.repository.js';
import { notFound } from '../errors.js';
import { auditEvent, type Actor } from '../identity/actor.js';

/** The tool catalog of the org's MCP servers: search, and labels (category, tags) set with their audit event in one transaction. */
export class ToolCatalogService {
  private readonly catalog: ToolCatalogRepository;

  constructor(private readonly db: Knex) {
    this.catalog = new ToolCatalogRepository(db);
  }

  search(orgId: string, q: ToolSearch): Promise<CatalogEntry[]> {
    return this.catalog.search(orgId, q);
  }

  /** Labels one tool of a server (null clears the category) and answers the tool as the catalog now has it. */
  async label(
    actor: Actor,
    serverId: string,
    name: string,
    patch: { category?: string | null; tags?: string[] },
  ): Promise<CatalogEntry> {
    await this.db.transaction(async (trx) => {
      await new ToolCatalogRepository(trx).configure(actor.orgId, serverId, name, patch);
      await new AuditRepository(trx).record(
        auditEvent(actor, 'mcp_server.tool_labeled', 'mcp_server', serverId, { tool: name, ...patch }),
        trx,
      );
    });
    // The one tool by name: a page of the server's tools would miss any past its end.
    const [entry] = await this.catalog.search(actor.orgId, { server: serverId, name, limit: 1 });
    if (!entry) throw notFound('tool', name);
    return entry;
  }
}
