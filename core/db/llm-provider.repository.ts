import type { Knex } from 'knex';
import type { LlmProviderHealth, LlmProviderRow } from '../llm/llm-rows.js';
import { conflict, notFound } from '../errors.js';

export type NewLlmProvider = Omit<LlmProviderRow, 'id' | 'health' | 'created_at' | 'updated_at'>;
export type LlmProviderChange = Partial<Omit<NewLlmProvider, 'org_id'>>;

/** The org's LLM providers. Every read and write is scoped by org id. */
export class LlmProviderRepository {
  constructor(private readonly db: Knex) {}

  async create(row: NewLlmProvider): Promise<LlmProviderRow> {
    const [created] = await this.db<LlmProviderRow>('llm_providers')
      .insert(row as never)
      .returning('*')
      .catch(uniqueName(row.name));
    return created!;
  }

  /** Every provider, in the order a call tries them (priority, then name). */
  list(orgId: string): Promise<LlmProviderRow[]> {
    return this.db<LlmProviderRow>('llm_providers')
      .where({ org_id: orgId })
      .orderBy([{ column: 'priority' }, { column: 'name' }]);
  }

  async enabled(orgId: string): Promise<LlmProviderRow[]> {
    return (await this.list(orgId)).filter((p) => p.enabled);
  }

  async get(orgId: string, id: string): Promise<LlmProviderRow> {
    const row = await this.db<LlmProviderRow>('llm_providers').where({ org_id: orgId, id }).first();
    if (!row) throw notFound('LLM provider', id);
    return row;
  }

  async update(orgId: string, id: string, change: LlmProviderChange): Promise<LlmProviderRow> {
    const [row] = await this.db<LlmProviderRow>('llm_providers')
      .where({ org_id: orgId, id })
      .update({ ...change, updated_at: this.db.fn.now() } as never)
      .returning('*')
      .catch(uniqueName(change.name ?? ''));
    if (!row) throw notFound('LLM provider', id);
    return row;
  }

  async remove(orgId: string, id: string): Promise<void> {
    const n = await this.db('llm_providers').where({ org_id: orgId, id }).delete();
    if (n === 0) throw notFound('LLM provider', id);
  }

  async recordHealth(orgId: string, id: string, health: LlmProviderHealth): Promise<void> {
    await this.db('llm_providers')
      .where({ org_id: orgId, id })
      .update({ health: JSON.stringify(health) });
  }

  /** Names of the org's providers whose key is the secret `name` (a secret they use cannot be deleted). */
  async usingSecret(orgId: string, name: string): Promise<string[]> {
    return (await this.db('llm_providers').where({ org_id: orgId, api_key_secret: name }).select('name')).map(
      (r: { name: string }) => r.name,
    );
  }
}

function uniqueName(name: string) {
  return (err: unknown): never => {
    if ((err as { code?: string }).code === '23505')
      throw conflict(`An LLM provider named "${name}" already exists`, { name });
    throw err;
  };
}
