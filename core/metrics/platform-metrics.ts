// What the work itself counts, in whichever process does it (tool calls and terminal writes in the worker,
// limit rejections at the API's door and in the worker, LLM calls and webhook deliveries in both). One
// registry per process: the API's GET /metrics and the worker's metrics port each serve it beside their own.
// Labels come from closed sets or from ids the platform issued (a server's id), never from tenant text.
import { Counter, Histogram, Registry } from 'prom-client';

export const platformRegistry = new Registry();

const toolCallSeconds = new Histogram({
  name: 'collexa_tool_call_duration_seconds',
  help: 'Time an upstream MCP tools/call took, by server id and outcome (ok, tool_error or the failure kind)',
  labelNames: ['server', 'outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [platformRegistry],
});

const invocationsFinished = new Counter({
  name: 'collexa_invocations_finished_total',
  help: 'Invocations that reached a final state, by status and capability risk',
  labelNames: ['status', 'risk'] as const,
  registers: [platformRegistry],
});

const limitRejections = new Counter({
  name: 'collexa_limit_rejections_total',
  help: 'Calls held back by an execution limit, by limit code and where (door: the API refused; worker: the call waited)',
  labelNames: ['code', 'where'] as const,
  registers: [platformRegistry],
});

const llmTokens = new Counter({
  name: 'collexa_llm_tokens_total',
  help: 'LLM tokens used, by provider type and direction (input, output)',
  labelNames: ['provider', 'direction'] as const,
  registers: [platformRegistry],
});

const llmCost = new Counter({
  name: 'collexa_llm_cost_usd_total',
  help: 'Priced cost of LLM calls in US dollars, by provider type',
  labelNames: ['provider'] as const,
  registers: [platformRegistry],
});

const llmCalls = new Counter({
  name: 'collexa_llm_calls_total',
  help: 'LLM calls, by provider type, status and whether the cache answered',
  labelNames: ['provider', 'status', 'cache'] as const,
  registers: [platformRegistry],
});

const webhookDeliveries = new Counter({
  name: 'collexa_webhook_deliveries_total',
  help: 'Outbound webhook deliveries, by outcome (delivered, rejected: a 4xx that is final, failed: retried)',
  labelNames: ['outcome'] as const,
  registers: [platformRegistry],
});

/** The counters core/ moves; each takes only labels from closed sets or platform-issued ids. */
export const platformMetrics = {
  toolCall(serverId: string, outcome: string, seconds: number): void {
    toolCallSeconds.observe({ server: serverId, outcome }, seconds);
  },
  invocationFinished(status: string, risk: string | undefined): void {
    invocationsFinished.inc({ status, risk: risk ?? 'unknown' });
  },
  limitRejected(code: string, where: 'door' | 'worker'): void {
    limitRejections.inc({ code, where });
  },
  llmCall(o: {
    provider: string;
    status: string;
    cacheHit: boolean;
    inputTokens: number;
    outputTokens: number;
    costUsd: number;
  }): void {
    llmCalls.inc({ provider: o.provider, status: o.status, cache: o.cacheHit ? 'hit' : 'miss' });
    if (o.inputTokens > 0) llmTokens.inc({ provider: o.provider, direction: 'input' }, o.inputTokens);
    if (o.outputTokens > 0) llmTokens.inc({ provider: o.provider, direction: 'output' }, o.outputTokens);
    if (o.costUsd > 0) llmCost.inc({ provider: o.provider }, o.costUsd);
  },
  webhookDelivery(outcome: 'delivered' | 'rejected' | 'failed'): void {
    webhookDeliveries.inc({ outcome });
  },
};
