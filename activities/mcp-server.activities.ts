import { McpCatalogRepository } from '../core/db/mcp-catalog.repository.js';
import type { McpServerStatus } from '../contracts/mcp-server.contract.js';
import { McpServerRepository } from '../core/db/mcp-server.repository.js';
import { resolvedServerConfig } from '../core/mcp/server-config.js';
import { boundedText, Redactor } from '../core/secrets/redact.js';
import type { ProbeResult } from '../contracts/mcp-server.contract.js';
import type { ActivityDeps } from './index.js';

/** Activities of mcpServerWorkflow: probe (ping + catalog), status records, and stop. */
export function createMcpServerActivities(deps: ActivityDeps) {
  const catalog = new McpCatalogRepository(deps.db);
  const servers = new McpServerRepository(deps.db);

  return {
    /** Connects if needed (respawning a dead stdio server), pings, and syncs the catalog. Failures are results. */
    async probeMcpServer({ serverId }: { serverId: string }): Promise<ProbeResult> {
      const server = await servers.findById(serverId);
      if (!server) return { ok: false, gone: true };
      let redactor = new Redactor([]);
      try {
        // Resolved as for tool calls: the same config hash, so probes and calls share one connection.
        const config = await resolvedServerConfig(server, deps.vault);
        redactor = new Redactor(config.secrets ?? []);
        await deps.mcp.ping(config);
        const tools = await deps.mcp.listTools(config);
        const catalogChanged = await catalog.replaceCatalog(server, tools);
        return { ok: true, toolsCount: tools.length, catalogChanged };
      } catch (err) {
        // Viewers read it as statusReason: no secret value, and no more of the server's words than a line.
        return { ok: false, error: boundedText(redactor.text(err instanceof Error ? err.message : String(err))) };
      }
    },

    async recordMcpServerStatus(input: {
      serverId: string;
      status: McpServerStatus;
      reason: string | null;
      changed: boolean;
    }): Promise<void> {
      await catalog.recordStatus(input.serverId, input.status, input.reason, input.changed);
    },

    /** Closes this worker's connection to the server (stopping a stdio process) and marks it stopped. */
    async stopMcpServer({ serverId }: { serverId: string }): Promise<void> {
      await deps.mcp.close(serverId);
      await catalog.recordStatus(serverId, 'stopped', 'stopped by request', true);
    },
  };
}
