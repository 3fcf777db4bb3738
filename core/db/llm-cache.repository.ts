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

  /**
   * The live entry for `key`, counted as a hit; a miss is counted and sweeps some expired entries. One
   * statement (one round trip, one commit): this runs before every cached call.
   */
  async lookup(orgId: string, key: string): Promise<CachedLlmResponse | undefined> {
    const { rows } = (await this.db.raw(
      `with hit as (
         update llm_cache set hits = hits + 1
          where org_id = :org and key = :key and expires_at > now()
          returning response),
       counted as (
         insert into llm_cache_counters as c (org_id, hits, misses)
         select :org, n, 1 - n from (select count(*)::int as n from hit) h
         on conflict (org_id) do update set hits = c.hits + excluded.hits, misses = c.misses + excluded.misses),
       swept as (
         delete from llm_cache where (org_id, key) in (
           select org_id, key from llm_cache
            where org_id = :org and expires_at <= now() and not exists (select 1 from hit)
            limit ${EXPIRED_BATCH}))
       select response from hit`,
      { org: orgId, key },
    )) as { rows: { response: CachedLlmResponse }[] };
    return rows[0]?.response;
  }

  /** Writes (or replaces) an entry, sweeping some of the org's expired ones in the same statement. */
  async store(orgId: string, key: string, providerId: string, response: CachedLlmResponse, ttlSeconds: number) {
    const json = JSON.stringify(response);
    await this.db.raw(
      `with swept as (
         delete from llm_cache where (org_id, key) in (
           select org_id, key from llm_cache
            where org_id = :org and expires_at <= now() and key <> :key
            limit ${EXPIRED_BATCH}))
       insert into llm_cache (org_id, key, provider_id, model, response, bytes, expires_at)
       values (:org, :key, :provider, :model, cast(:response as jsonb), :bytes, now() + make_interval(secs => :ttl))
       on conflict (org_id, key) do update set
         provider_id = excluded.provider_id, model = excluded.model, response = excluded.response,
         bytes = excluded.bytes, created_at = now(), expires_at = excluded.expires_at`,
      {
        org: orgId,
        key,
        provider: providerId,
        model: response.model,
        response: json,
        bytes: Buffer.byteLength(json),
        ttl: ttlSeconds,
      },
    );
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
}
