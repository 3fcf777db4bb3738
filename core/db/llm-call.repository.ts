import type { Knex } from 'knex';
import type { LlmCallRow } from '../llm/llm-rows.js';
import { newestFirst, type Page } from './page.js';

export type NewLlmCall = Omit<LlmCallRow, 'id' | 'created_at' | 'seq' | 'cost_usd'> & { cost_usd: number };

/** One record per LLM call (and per cache hit); a retry with the same source id rewrites its record. */
export class LlmCallRepository {
  constructor(private readonly db: Knex) {}

  async record(row: NewLlmCall): Promise<string> {
    const values = { ...row, fell_back_from: JSON.stringify(row.fell_back_from) };
    const q = this.db('llm_calls').insert(values);
    const [saved] = (await (
      row.source_id === null
        ? q
        : q.onConflict(this.db.raw('(org_id, purpose, source_id) where source_id is not null')).merge()
    ).returning('id')) as { id: string }[];
    return saved!.id;
  }

  list(orgId: string, filter: { purpose?: string; limit: number; cursor?: string }): Promise<Page<LlmCallRow>> {
    const q = this.db<LlmCallRow>('llm_calls').where({ org_id: orgId });
    if (filter.purpose) q.andWhere({ purpose: filter.purpose });
    return newestFirst<LlmCallRow>(q, 'seq', filter.limit, filter.cursor);
  }

  get(orgId: string, id: string): Promise<LlmCallRow | undefined> {
    return this.db<LlmCallRow>('llm_calls').where({ org_id: orgId, id }).first();
  }
}
