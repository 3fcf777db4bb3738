import type { LlmCacheStats } from '../../core/db/llm-cache.repository.js';
import type { Page } from '../../core/db/page.js';
import type { LlmCallRow, LlmProviderHealth, LlmProviderRow } from '../../core/llm/llm-rows.js';
import { iso } from './iso.js';

/** A provider as the API shows it: its key only as the secret reference, never a value. */
export function llmProviderView(p: LlmProviderRow) {
  return {
    id: p.id,
    name: p.name,
    type: p.type,
    model: p.model,
    apiKey: `secret:${p.api_key_secret}`,
    baseUrl: p.base_url,
    priority: p.priority,
    enabled: p.enabled,
    settings: p.settings,
    health: p.health,
    createdAt: iso(p.created_at),
    updatedAt: iso(p.updated_at),
    links: { self: `/v1/llm/providers/${p.id}`, health: `/v1/llm/providers/${p.id}/health` },
  };
}

export function llmHealthView(p: LlmProviderRow, h: LlmProviderHealth) {
  return { providerId: p.id, name: p.name, status: h.ok ? 'ok' : 'failing', ...h };
}

export function llmCallView(c: LlmCallRow) {
  return {
    id: c.id,
    provider: { id: c.provider_id, name: c.provider_name, type: c.provider_type },
    model: c.model,
    purpose: c.purpose,
    sourceId: c.source_id,
    usage: { inputTokens: c.input_tokens, outputTokens: c.output_tokens },
    costUsd: Number(c.cost_usd),
    priced: c.priced,
    latencyMs: c.latency_ms,
    cacheHit: c.cache_hit,
    status: c.status,
    errorCode: c.error_code,
    fellBackFrom: c.fell_back_from,
    createdAt: iso(c.created_at),
  };
}

export function llmCallPageView(page: Page<LlmCallRow>) {
  return { data: page.data.map(llmCallView), nextCursor: page.nextCursor };
}

export function llmCacheStatsView(s: LlmCacheStats) {
  return { ...s, since: iso(s.since) };
}
