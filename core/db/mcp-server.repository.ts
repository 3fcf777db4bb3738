import type { Knex } from 'knex';
import { conflict, notFound } from '../errors.js';
import type { McpServerRow } from './rows.js';

export type NewMcpServer = Pick<
  McpServerRow,
  'org_id' | 'name' | 'transport' | 'command' | 'args' | 'env' | 'url' | 'headers'
> &
  Partial<
    Pick<
      McpServerRow,
      'id' | 'security_level' | 'limits' | 'network' | 'template' | 'sandbox' | 'sandbox_id' | 'sandbox_target'
    >
  >;

/** mcp_servers, always scoped by org. */
export class McpServerRepository {
  constructor(private readonly db: Knex) {}

  async create(row: NewMcpServer): Promise<McpServerRow> {
    try {
      const [created] = await this.db<McpServerRow>('mcp_servers')
        .insert({
          ...row,
          args: JSON.stringify(row.args) as never,
          env: JSON.stringify(row.env) as never,
          headers: JSON.stringify(row.headers) as never,
          ...(row.limits ? { limits: JSON.stringify(row.limits) as never } : {}),
          ...(row.sandbox ? { sandbox: JSON.stringify(row.sandbox) as never } : {}),
        })
        .returning('*');
      return created!;
    } catch (err) {
      if ((err as { code?: string }).code === '23505')
        throw conflict(`An MCP server named "${row.name}" already exists`, { name: row.name });
      throw err;
    }
  }

  async get(orgId: string, id: string): Promise<McpServerRow> {
    const row = await this.db<McpServerRow>('mcp_servers').where({ org_id: orgId, id }).first();
    if (!row) throw notFound('MCP server', id);
    return row;
  }

  /** By id alone: for activities, which act for the workflow, not for a caller. */
  findById(id: string): Promise<McpServerRow | undefined> {
    return this.db<McpServerRow>('mcp_servers').where({ id }).first();
  }

  async findByName(orgId: string, name: string): Promise<McpServerRow | undefined> {
    return this.db<McpServerRow>('mcp_servers').where({ org_id: orgId, name }).first();
  }

  /** The org's servers; a sandbox's own servers are not among them (the sandbox shows them). */
  async list(orgId: string): Promise<McpServerRow[]> {
    return this.db<McpServerRow>('mcp_servers')
      .where({ org_id: orgId })
      .whereNull('sandbox_id')
      .orderBy('created_at', 'asc');
  }

  /** Removes a sandbox's own server (teardown); nothing binds a capability to it. */
  async removeSandboxServer(sandboxId: string): Promise<void> {
    await this.db('mcp_servers').where({ sandbox_id: sandboxId }).delete();
  }

  async setWorkflowId(id: string, workflowId: string): Promise<void> {
    await this.db('mcp_servers').where({ id }).update({ workflow_id: workflowId });
  }

  /** 409 while any agent's capability is bound to the server. */
  private async assertUnused(id: string): Promise<void> {
    const users = await this.db('agent_capabilities as c')
      .join('agents as a', 'a.id', 'c.agent_id')
      .where('c.server_id', id)
      .distinct('a.id', 'a.name');
    if (users.length > 0) {
      throw conflict('The MCP server is used by agents; remove their capabilities first', { agents: users });
    }
  }

  /** Deletes the server (404 if not the org's, 409 while agents use it) and returns the row it was. */
  async delete(orgId: string, id: string): Promise<McpServerRow> {
    const row = await this.get(orgId, id);
    await this.assertUnused(id);
    await this.db('mcp_servers').where({ org_id: orgId, id }).delete();
    return row;
  }
}
