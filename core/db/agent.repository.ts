import type { Knex } from 'knex';
import { conflict, notFound } from '../errors.js';
import type { AgentRow, CapabilityRow } from './rows.js';

export type NewCapability = Pick<
  CapabilityRow,
  'name' | 'server_id' | 'tool' | 'description' | 'risk' | 'tool_definition' | 'pinned_hash'
>;
export type AgentWithCapabilities = AgentRow & { capabilities: CapabilityRow[] };

/** agents and agent_capabilities, always scoped by org; capabilities are replaced as a set. */
export class AgentRepository {
  constructor(private readonly db: Knex) {}

  async create(
    orgId: string,
    agent: { name: string; description: string },
    capabilities: NewCapability[],
  ): Promise<AgentWithCapabilities> {
    return this.db.transaction(async (trx) => {
      const [row] = await trx<AgentRow>('agents')
        .insert({ org_id: orgId, ...agent })
        .returning('*')
        .catch(uniqueName(agent.name));
      await this.replaceCapabilities(trx, orgId, row!.id, capabilities);
      return this.getIn(trx, orgId, row!.id);
    });
  }

  async update(
    orgId: string,
    id: string,
    patch: { name?: string; description?: string },
    capabilities?: NewCapability[],
  ): Promise<AgentWithCapabilities> {
    return this.db.transaction(async (trx) => {
      await this.getIn(trx, orgId, id);
      await trx('agents')
        .where({ org_id: orgId, id })
        .update({ ...patch, updated_at: trx.fn.now() })
        .catch(uniqueName(patch.name ?? ''));
      if (capabilities) await this.replaceCapabilities(trx, orgId, id, capabilities);
      return this.getIn(trx, orgId, id);
    });
  }

  get(orgId: string, id: string): Promise<AgentWithCapabilities> {
    return this.getIn(this.db, orgId, id);
  }

  async list(orgId: string): Promise<AgentWithCapabilities[]> {
    const agents = await this.db<AgentRow>('agents').where({ org_id: orgId }).orderBy('created_at', 'asc');
    const caps = await this.db<CapabilityRow>('agent_capabilities').where({ org_id: orgId }).orderBy('name');
    return agents.map((a) => ({ ...a, capabilities: caps.filter((c) => c.agent_id === a.id) }));
  }

  /** A capability's risk, or undefined once it is gone (an agent changed while the invocation ran). */
  async capabilityRisk(agentId: string, name: string): Promise<string | undefined> {
    const row = await this.db<CapabilityRow>('agent_capabilities').where({ agent_id: agentId, name }).first('risk');
    return row?.risk;
  }

  async delete(orgId: string, id: string): Promise<void> {
    const n = await this.db('agents').where({ org_id: orgId, id }).delete();
    if (n === 0) throw notFound('agent', id);
  }

  /** Accepts a new tool definition for one capability (after an admin reviewed the change). */
  async repin(
    orgId: string,
    agentId: string,
    name: string,
    definition: Record<string, unknown>,
    hash: string,
  ): Promise<void> {
    const n = await this.db('agent_capabilities')
      .where({ org_id: orgId, agent_id: agentId, name })
      .update({ tool_definition: JSON.stringify(definition), pinned_hash: hash, pinned_at: this.db.fn.now() });
    if (n === 0) throw notFound('capability', name);
  }

  private async getIn(db: Knex, orgId: string, id: string): Promise<AgentWithCapabilities> {
    const agent = await db<AgentRow>('agents').where({ org_id: orgId, id }).first();
    if (!agent) throw notFound('agent', id);
    const capabilities = await db<CapabilityRow>('agent_capabilities').where({ agent_id: id }).orderBy('name');
    return { ...agent, capabilities };
  }

  private async replaceCapabilities(trx: Knex, orgId: string, agentId: string, capabilities: NewCapability[]) {
    await trx('agent_capabilities').where({ agent_id: agentId }).delete();
    if (capabilities.length === 0) return;
    await trx('agent_capabilities').insert(
      capabilities.map((c) => ({
        ...c,
        agent_id: agentId,
        org_id: orgId,
        tool_definition: JSON.stringify(c.tool_definition),
      })),
    );
  }
}

function uniqueName(name: string) {
  return (err: unknown): never => {
    if ((err as { code?: string }).code === '23505')
      throw conflict(`An agent named "${name}" already exists`, { name });
    throw err;
  };
}
