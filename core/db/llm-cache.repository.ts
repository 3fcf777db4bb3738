import type { Knex } from 'knex';
import type { CachedLlmResponse } from '../llm/llm-rows.js';

// Expired entries are removed a bounded batch at a time, so no write or miss waits on a large delete.
const EXPIRED_BATCH = 100;

export interface LlmCacheStats {
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
  hitRate: number;
  since: Date | null;
}

/** The org's LLM response cache; one org's keys never answer another's (every query is scoped by org id). */
export class LlmCacheRepository {
  constructor(private readonly db: Knex) {}

  /** The live entry for `key`, counted as a hit; a miss is counted and sweeps some expired entries. */
  async lookup(orgId: string, key: string): Promise<CachedLlmResponse | undefined> {
    const [row] = (await this.db('llm_cache')
      .where({ org_id: orgId, key })
      .andWhere('expires_at', '>', this.db.fn.now())
      .update({ hits: this.db.raw('hits + 1') })
      .returning('response')) as { response: CachedLlmResponse }[];
    await this.count(orgId, row ? 'hits' : 'misses');
    if (!row) await this.sweep(orgId);
    return row?.response;
  }

  async store(orgId: string, key: string, providerId: string, response: CachedLlmResponse, ttlSeconds: number) {
    const json = JSON.stringify(response);
    await this.sweep(orgId);
    await this.db('llm_cache')
      .insert({
        org_id: orgId,
        key,
        provider_id: providerId,
        model: response.model,
        response: json,
        bytes: Buffer.byteLength(json),
        expires_at: this.db.raw(`now() + make_interval(secs => ?)`, [ttlSeconds]),
      })
      .onConflict(['org_id', 'key'])
      .merge(['response', 'bytes', 'model', 'provider_id', 'created_at', 'expires_at']);
  }

  async stats(orgId: string): Promise<LlmCacheStats> {
    const live = (await this.db('llm_cache')
      .where({ org_id: orgId })
      .andWhere('expires_at', '>', this.db.fn.now())
      .first(this.db.raw('count(*)::int as entries'), this.db.raw('coalesce(sum(bytes), 0)::bigint as bytes'))) as {
      entries: number;
      bytes: string;
    };
    const c = (await this.db('llm_cache_counters').where({ org_id: orgId }).first()) as
      { hits: string; misses: string; since: Date } | undefined;
    const hits = Number(c?.hits ?? 0);
    const misses = Number(c?.misses ?? 0);
    return {
      entries: live.entries,
      bytes: Number(live.bytes),
      hits,
      misses,
      hitRate: hits + misses === 0 ? 0 : hits / (hits + misses),
      since: c?.since ?? null,
    };
  }

  /** Drops every entry of the org and restarts its counters; answers how many entries went. */
  clear(orgId: string): Promise<number> {
    return this.db.transaction(async (trx) => {
      const n = await trx('llm_cache').where({ org_id: orgId }).delete();
      await trx('llm_cache_counters').where({ org_id: orgId }).delete();
      return n;
    });
  }

  private async count(orgId: string, column: 'hits' | 'misses') {
    await this.db('llm_cache_counters')
      .insert({ org_id: orgId, [column]: 1 })
      .onConflict('org_id')
      .merge({ [column]: this.db.raw(`llm_cache_counters.${column} + 1`) });
  }

  private async sweep(orgId: string) {
    await this.db('llm_cache')
      .whereIn(
        ['org_id', 'key'],
        this.db('llm_cache')
          .select('org_id', 'key')
          .where({ org_id: orgId })
          .andWhere('expires_at', '<=', this.db.fn.now())
          .limit(EXPIRED_BATCH),
      )
      .delete();
  }
}
