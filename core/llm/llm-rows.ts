/** The LLM provider types: the package each one runs on is chosen in provider-model.ts. */
export const LLM_PROVIDER_TYPES = ['openai', 'anthropic', 'google', 'openai-compatible', 'azure-openai'] as const;
export type LlmProviderType = (typeof LLM_PROVIDER_TYPES)[number];

/** The last health check of a provider. */
export interface LlmProviderHealth {
  ok: boolean;
  latencyMs: number;
  code?: string;
  message?: string;
  checkedAt: string;
}

/** Row types of the LLM tables (migrations/20261203000000_llm.ts), as knex returns them. */
export interface LlmProviderRow {
  id: string;
  org_id: string;
  name: string;
  type: LlmProviderType;
  model: string;
  /** The secret's name (`secret:NAME` without the prefix). */
  api_key_secret: string;
  base_url: string | null;
  priority: number;
  enabled: boolean;
  settings: Record<string, unknown>;
  health: LlmProviderHealth | null;
  created_at: Date;
  updated_at: Date;
}

export interface LlmFallbackStep {
  providerId: string;
  name: string;
  code: string;
}

export interface LlmCallRow {
  id: string;
  org_id: string;
  provider_id: string | null;
  provider_name: string;
  provider_type: string;
  model: string;
  purpose: string;
  source_id: string | null;
  input_tokens: number;
  output_tokens: number;
  /** numeric: pg returns it as a string. */
  cost_usd: string;
  priced: boolean;
  latency_ms: number;
  cache_hit: boolean;
  status: 'ok' | 'error';
  error_code: string | null;
  fell_back_from: LlmFallbackStep[];
  created_at: Date;
  seq: string;
}

/** What a cache entry holds: enough to answer the same call again without the provider. */
export interface CachedLlmResponse {
  text: string;
  object?: unknown;
  toolCalls: { toolName: string; input: unknown }[];
  usage: { inputTokens: number; outputTokens: number };
  model: string;
  provider: { id: string; name: string; type: string };
}
