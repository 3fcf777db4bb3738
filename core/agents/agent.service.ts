import type { Knex } from 'knex';
import { AgentRepository, type AgentWithCapabilities, type NewCapability } from '../db/agent.repository.js';
import { AuditRepository } from '../db/audit.repository.js';
import { auditEvent, type Actor } from '../identity/actor.js';
import { capabilitySummary, governedCapabilities } from './capability-governance.js';
import { McpCatalogRepository } from '../db/mcp-catalog.repository.js';
import { McpServerRepository } from '../db/mcp-server.repository.js';
import type { McpServerRow } from '../db/rows.js';
import type { Severity } from '../severity.js';
import { AppError, badRequest, notFound } from '../errors.js';
import type { ToolDefinition } from '../mcp/client-pool.js';
import { assertUsableToolSchema } from '../invocations/input-validator.js';
import { toolDefinitionHash } from '../mcp/tool-pin.js';
import type { CatalogRefresher } from '../mcp-servers/catalog-refresher.js';

export interface CapabilityInput {
  name: string;
  server: string;
  tool: string;
  description?: string;
  risk?: Severity;
}

/**
 * Agents whose capabilities are checked against the tools their MCP servers really serve. Tool
 * definitions come from the catalog the servers' lifecycle workflows keep; a tool not in it yet, and a
 * repin, ask the workflow for a fresh tools/list first. The API never connects to an MCP server itself.
 */
export class AgentService {
  readonly agents: AgentRepository;
  private readonly servers: McpServerRepository;
  private readonly catalog: McpCatalogRepository;

  constructor(
    private readonly db: Knex,
    private readonly refreshCatalog: CatalogRefresher,
  ) {
    this.agents = new AgentRepository(db);
    this.servers = new McpServerRepository(db);
    this.catalog = new McpCatalogRepository(db);
  }

  /** The org's server names by id: how an agent's capabilities name their servers. */
  async serverNames(orgId: string): Promise<Map<string, string>> {
    return new Map((await this.servers.list(orgId)).map((s) => [s.id, s.name]));
  }

  /** The server's tools as the catalog has them; with `fresh`, after the workflow re-read them. */
  private async toolsOf(server: McpServerRow, fresh: boolean): Promise<ToolDefinition[]> {
    if (fresh) {
      const r = await this.refreshCatalog(server);
      if (!r.ok)
        throw new AppError(
          'mcp_server_unavailable',
          502,
          `MCP server "${server.name}" did not answer tools/list: ${r.error ?? 'unavailable'}`,
          { server: server.name },
        );
    }
    return (await this.catalog.toolsOf(server.id)).map((t) => t.definition as unknown as ToolDefinition);
  }

  async create(
    p: Actor,
    input: { name: string; description?: string; capabilities: CapabilityInput[] },
  ): Promise<AgentWithCapabilities> {
    const capabilities = await this.resolveCapabilities(p.orgId, input.capabilities);
    return this.db.transaction(async (trx) => {
      const agent = await new AgentRepository(trx).create(
        p.orgId,
        { name: input.name, description: input.description ?? '' },
        capabilities,
      );
      await this.record(trx, p, 'agent.created', agent.id, {
        name: agent.name,
        capabilities: agent.capabilities.map(capabilitySummary),
      });
      return agent;
    });
  }

  /** Changes an agent; see governedCapabilities for what needs an admin. Audited with before and after. */
  async update(
    p: Actor,
    id: string,
    input: { name?: string; description?: string; capabilities?: CapabilityInput[] },
  ): Promise<AgentWithCapabilities> {
    const before = await this.agents.get(p.orgId, id);
    const resolved = input.capabilities ? await this.resolveCapabilities(p.orgId, input.capabilities) : undefined;
    const capabilities = resolved ? governedCapabilities(before.capabilities, resolved, p.role === 'admin') : undefined;
    return this.db.transaction(async (trx) => {
      const after = await new AgentRepository(trx).update(
        p.orgId,
        id,
        { name: input.name, description: input.description },
        capabilities,
      );
      await this.record(trx, p, 'agent.updated', id, {
        before: {
          name: before.name,
          description: before.description,
          capabilities: before.capabilities.map(capabilitySummary),
        },
        after: {
          name: after.name,
          description: after.description,
          capabilities: after.capabilities.map(capabilitySummary),
        },
      });
      return after;
    });
  }

  async delete(p: Actor, id: string): Promise<void> {
    const before = await this.agents.get(p.orgId, id);
    await this.db.transaction(async (trx) => {
      await new AgentRepository(trx).delete(p.orgId, id);
      await this.record(trx, p, 'agent.deleted', id, {
        name: before.name,
        capabilities: before.capabilities.map(capabilitySummary),
      });
    });
  }

  private record(trx: Knex, p: Actor, action: string, agentId: string, data: Record<string, unknown>) {
    return new AuditRepository(trx).record(auditEvent(p, action, 'agent', agentId, data), trx);
  }

  /**
   * Re-reads the capability's tool from its server and pins that definition: how an admin accepts a
   * changed tool. Returns the previous and the new pin.
   */
  async repin(
    p: Actor,
    agentId: string,
    name: string,
  ): Promise<{ previous: string; pinned: string; definition: ToolDefinition }> {
    const { orgId } = p;
    const agent = await this.agents.get(orgId, agentId);
    const cap = agent.capabilities.find((c) => c.name === name);
    if (!cap) throw notFound('capability', name);
    const server = await this.servers.get(orgId, cap.server_id);
    const tools = await this.toolsOf(server, true);
    const tool = tools.find((t) => t.name === cap.tool);
    if (!tool)
      throw new AppError('tool_missing', 409, `MCP server "${server.name}" no longer serves "${cap.tool}"`, {
        server: server.name,
        tool: cap.tool,
      });
    assertUsableToolSchema(tool.inputSchema, { tool: tool.name, server: server.name });
    const pinned = toolDefinitionHash(tool);
    await this.db.transaction(async (trx) => {
      await new AgentRepository(trx).repin(orgId, agentId, name, { ...tool }, pinned);
      await this.record(trx, p, 'capability.repinned', agentId, {
        capability: name,
        previous: cap.pinned_hash,
        pinned,
      });
    });
    return { previous: cap.pinned_hash, pinned, definition: tool };
  }

  /** Finds each capability's server (by name or id) and tool (catalog, refreshed once per server when a tool is missing) and pins its definition. */
  private async resolveCapabilities(orgId: string, inputs: CapabilityInput[]): Promise<NewCapability[]> {
    const names = new Set<string>();
    for (const c of inputs) {
      if (names.has(c.name))
        throw badRequest('duplicate_capability', `Capability "${c.name}" is listed twice`, { capability: c.name });
      names.add(c.name);
    }
    const catalogs = new Map<string, { server: McpServerRow; tools: ToolDefinition[] }>();
    const out: NewCapability[] = [];
    for (const c of inputs) {
      let entry = catalogs.get(c.server);
      if (!entry) {
        const server = await this.findServer(orgId, c.server);
        const tools = await this.toolsOf(server, false);
        const missing = inputs.some((i) => i.server === c.server && !tools.some((t) => t.name === i.tool));
        entry = { server, tools: missing ? await this.toolsOf(server, true) : tools };
        catalogs.set(c.server, entry);
      }
      const tool = entry.tools.find((t) => t.name === c.tool);
      if (!tool) {
        throw badRequest('unknown_tool', `MCP server "${entry.server.name}" has no tool "${c.tool}"`, {
          server: entry.server.name,
          tool: c.tool,
          available: entry.tools.map((t) => t.name),
        });
      }
      assertUsableToolSchema(tool.inputSchema, { tool: tool.name, server: entry.server.name });
      out.push({
        name: c.name,
        server_id: entry.server.id,
        tool: c.tool,
        description: c.description ?? tool.description ?? null,
        risk: c.risk ?? 'low',
        tool_definition: { ...tool },
        pinned_hash: toolDefinitionHash(tool),
      });
    }
    return out;
  }

  private async findServer(orgId: string, ref: string): Promise<McpServerRow> {
    const byName = await this.servers.findByName(orgId, ref);
    if (byName) return byName;
    if (/^[0-9a-f-]{36}$/i.test(ref)) {
      const byId = await this.servers.get(orgId, ref).catch(() => undefined);
      if (byId) return byId;
    }
    throw badRequest('unknown_server', `No MCP server "${ref}" in this organization`, { server: ref });
  }
}
