// The response cache: a miss then a hit (one upstream request), bypassed for non-deterministic settings
// unless forced, entries expiring after the TTL and swept, stats and clear, and per org.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LlmCacheRepository } from '../../core/db/llm-cache.repository.js';
import type { LlmCallRow } from '../../core/llm/llm-rows.js';
import { addWireProvider, testGateway, useLlmRig } from '../helpers/llm.js';
import { createOrg } from '../helpers/stack.js';

const rig = useLlmRig();

const Verdict = z.object({ verdict: z.enum(['yes', 'no']), reason: z.string() });
const ask = (orgId: string, extra: object = {}) => ({
  orgId,
  purpose: 'test.cache',
  system: 'Judge.',
  messages: [{ role: 'user' as const, content: 'Is it safe?' }],
  schema: Verdict,
  ...extra,
});

async function orgWithProvider(name: string) {
  const { org } = await createOrg(rig.db, name);
  const p = await addWireProvider(rig.db, rig.wire, org.id, 'openai');
  rig.wire.script(p.label, () => ({
    json: { verdict: 'yes', reason: `answer ${rig.wire.requestsFor(p.label).length}` },
  }));
  return { org, p };
}

describe('LLM response cache', () => {
  it('answers the same call from the cache: same answer, cacheHit, one upstream request, both recorded', async () => {
    const { org, p } = await orgWithProvider('cache hit');
    const gateway = testGateway(rig.db);
    const miss = await gateway.generate(ask(org.id));
    const hit = await gateway.generate(ask(org.id));
    expect(miss.cacheHit).toBe(false);
    expect(hit).toMatchObject({ cacheHit: true, text: miss.text, object: miss.object, costUsd: 0 });
    expect(hit.provider).toEqual(miss.provider);
    expect(hit.object).toEqual({ verdict: 'yes', reason: 'answer 1' });
    expect(rig.wire.requestsFor(p.label)).toHaveLength(1);
    const rows = (await rig.db('llm_calls').where({ org_id: org.id }).orderBy('seq')) as LlmCallRow[];
    expect(rows.map((r) => r.cache_hit)).toEqual([false, true]);
    expect(rows[1]).toMatchObject({ input_tokens: 0, output_tokens: 0, provider_id: p.id });
    expect(await new LlmCacheRepository(rig.db).stats(org.id)).toMatchObject({
      entries: 1,
      hits: 1,
      misses: 1,
      hitRate: 0.5,
    });
  });

  it('keys on the messages, parameters and schema', async () => {
    const { org, p } = await orgWithProvider('cache key');
    const gateway = testGateway(rig.db);
    await gateway.generate(ask(org.id));
    await gateway.generate(ask(org.id, { messages: [{ role: 'user', content: 'Is it fast?' }] }));
    await gateway.generate(ask(org.id, { maxOutputTokens: 50 }));
    await gateway.generate(ask(org.id, { schema: Verdict.extend({ score: z.number().optional() }) }));
    expect(rig.wire.requestsFor(p.label)).toHaveLength(4);
  });

  it('bypasses the cache with temperature > 0 unless forced, and never reads it with bypass', async () => {
    const { org, p } = await orgWithProvider('cache bypass');
    const gateway = testGateway(rig.db);
    await gateway.generate(ask(org.id, { temperature: 0.7 }));
    await gateway.generate(ask(org.id, { temperature: 0.7 }));
    expect(rig.wire.requestsFor(p.label)).toHaveLength(2);
    await gateway.generate(ask(org.id, { temperature: 0.7, cache: 'force' }));
    expect((await gateway.generate(ask(org.id, { temperature: 0.7, cache: 'force' }))).cacheHit).toBe(true);
    expect(rig.wire.requestsFor(p.label)).toHaveLength(3);
    await gateway.generate(ask(org.id, { temperature: 0 }));
    expect((await gateway.generate(ask(org.id, { temperature: 0, cache: 'bypass' }))).cacheHit).toBe(false);
    expect(rig.wire.requestsFor(p.label)).toHaveLength(5);
  });

  it('expires entries after the TTL, leaves them out of stats, and sweeps them', async () => {
    const { org, p } = await orgWithProvider('cache ttl');
    const gateway = testGateway(rig.db, { cacheTtlSeconds: 1 });
    await gateway.generate(ask(org.id));
    expect((await gateway.generate(ask(org.id))).cacheHit).toBe(true);
    await sleep(1100);
    expect((await new LlmCacheRepository(rig.db).stats(org.id)).entries).toBe(0);
    const again = await gateway.generate(ask(org.id));
    expect(again.cacheHit).toBe(false);
    expect(again.object).toEqual({ verdict: 'yes', reason: 'answer 2' });
    expect(rig.wire.requestsFor(p.label)).toHaveLength(2);
    // The miss swept the expired entry; the new answer replaced it.
    const rows = await rig.db('llm_cache').where({ org_id: org.id });
    expect(rows).toHaveLength(1);
    expect(new Date(rows[0].expires_at).getTime()).toBeGreaterThan(Date.now());
  });

  it('is off with LLM_CACHE_TTL_SECONDS=0', async () => {
    const { org, p } = await orgWithProvider('cache off');
    const gateway = testGateway(rig.db, { cacheTtlSeconds: 0 });
    await gateway.generate(ask(org.id, { cache: 'force' }));
    await gateway.generate(ask(org.id, { cache: 'force' }));
    expect(rig.wire.requestsFor(p.label)).toHaveLength(2);
    expect(await rig.db('llm_cache').where({ org_id: org.id })).toHaveLength(0);
  });

  it("never answers one org's prompt from another's cache", async () => {
    const a = await orgWithProvider('cache org a');
    const b = await orgWithProvider('cache org b');
    const gateway = testGateway(rig.db);
    await gateway.generate(ask(a.org.id));
    const other = await gateway.generate(ask(b.org.id));
    expect(other.cacheHit).toBe(false);
    expect(other.provider.id).toBe(b.p.id);
    expect(rig.wire.requestsFor(b.p.label)).toHaveLength(1);
    const cache = new LlmCacheRepository(rig.db);
    await cache.clear(b.org.id);
    expect((await cache.stats(a.org.id)).entries).toBe(1);
    expect((await gateway.generate(ask(a.org.id))).cacheHit).toBe(true);
  });

  it('clears the org cache and restarts its counters', async () => {
    const { org, p } = await orgWithProvider('cache clear');
    const gateway = testGateway(rig.db);
    await gateway.generate(ask(org.id));
    await gateway.generate(ask(org.id));
    const cache = new LlmCacheRepository(rig.db);
    const before = await cache.stats(org.id);
    expect(before.bytes).toBeGreaterThan(0);
    expect(await cache.clear(org.id)).toBe(1);
    expect(await cache.stats(org.id)).toMatchObject({ entries: 0, bytes: 0, hits: 0, misses: 0, hitRate: 0 });
    expect((await gateway.generate(ask(org.id))).cacheHit).toBe(false);
    expect(rig.wire.requestsFor(p.label)).toHaveLength(2);
  });
});
