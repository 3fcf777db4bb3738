import type { Knex } from 'knex';
import { LlmCallRepository } from '../db/llm-call.repository.js';
import type { LlmCallRequest } from './llm-gateway.js';
import type { LlmFallbackStep } from './llm-rows.js';
import type { LlmPrices } from './prices.js';
import { platformMetrics } from '../metrics/platform-metrics.js';

export interface RecordedProvider {
  id: string;
  name: string;
  type: string;
}

export interface CallOutcome {
  provider: RecordedProvider;
  model: string;
  status: 'ok' | 'error';
  code?: string;
  fellBackFrom: LlmFallbackStep[];
  usage?: { inputTokens: number; outputTokens: number };
  cacheHit?: boolean;
}

/** Writes the one llm_calls row of a call (or cache hit), priced from the table; never a prompt, an answer or a key. */
export class LlmCallRecorder {
  private readonly calls: LlmCallRepository;

  constructor(
    db: Knex,
    private readonly prices: LlmPrices,
  ) {
    this.calls = new LlmCallRepository(db);
  }

  async record(req: LlmCallRequest<unknown>, started: number, o: CallOutcome) {
    const latencyMs = Math.round(performance.now() - started);
    const usage = o.usage ?? { inputTokens: 0, outputTokens: 0 };
    const { costUsd, priced } = this.prices.cost(o.model, usage);
    const callId = await this.calls.record({
      org_id: req.orgId,
      provider_id: o.provider.id,
      provider_name: o.provider.name,
      provider_type: o.provider.type,
      model: o.model,
      purpose: req.purpose,
      source_id: req.sourceId ?? null,
      input_tokens: usage.inputTokens,
      output_tokens: usage.outputTokens,
      cost_usd: costUsd,
      priced,
      latency_ms: latencyMs,
      cache_hit: o.cacheHit ?? false,
      status: o.status,
      error_code: o.code ?? null,
      fell_back_from: o.fellBackFrom.map(({ providerId, name, code }) => ({ providerId, name, code })),
    });
    // Provider type is the closed set the provider schemas allow (openai, anthropic, ...), never its name.
    platformMetrics.llmCall({
      provider: o.provider.type,
      status: o.status,
      cacheHit: o.cacheHit ?? false,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      costUsd,
    });
    return { callId, latencyMs, costUsd, usage };
  }
}
