import type { Knex } from 'knex';
import { LlmCacheRepository } from '../db/llm-cache.repository.js';
import { LlmProviderRepository } from '../db/llm-provider.repository.js';
import { AppError } from '../errors.js';
import type { EgressPolicy } from '../net/egress.js';
import { boundedResponses } from '../net/bounded-response.js';
import { guardedFetch, type GuardedFetch } from '../net/guarded-fetch.js';
import { Redactor } from '../secrets/redact.js';
import { VaultUnavailableError, type SecretReader } from '../secrets/vault.js';
import { fallbackChain, type ChainLink, type ChainTrace } from './fallback-chain.js';
import { cacheKeyOf, usesCache } from './llm-call-shape.js';
import { callModel, type Answer } from './sdk-call.js';
import { LlmCallRecorder, type RecordedProvider } from './llm-call-recorder.js';
import { LlmCallError, mapLlmError } from './llm-errors.js';
import type { LlmCallRequest, LlmCallResult, LlmGateway } from './llm-gateway.js';
import type { LlmProviderRow } from './llm-rows.js';
import { LlmPrices, type PriceTable } from './prices.js';
import { languageModelFor } from './provider-model.js';

export interface ProviderGatewayDeps {
  db: Knex;
  vault: SecretReader | undefined;
  egress: EgressPolicy;
  prices: LlmPrices;
  /** Per provider attempt (LLM_CALL_TIMEOUT_MS). */
  timeoutMs: number;
  /** LLM_CACHE_TTL_SECONDS; 0 turns the cache off. */
  cacheTtlSeconds: number;
}

/** The LLM part of the config (LLM_CALL_TIMEOUT_MS, LLM_CACHE_TTL_SECONDS, LLM_PRICES). */
export interface LlmSettings {
  callTimeoutMs: number;
  cacheTtlSeconds: number;
  prices: PriceTable;
}

export const DEFAULT_LLM_SETTINGS: LlmSettings = { callTimeoutMs: 60_000, cacheTtlSeconds: 24 * 3600, prices: {} };

/** The gateway as the composition roots build it. */
export function createLlmGateway(
  settings: LlmSettings,
  deps: Pick<ProviderGatewayDeps, 'db' | 'vault' | 'egress'>,
): ProviderGateway {
  return new ProviderGateway({
    ...deps,
    prices: new LlmPrices(settings.prices),
    timeoutMs: settings.callTimeoutMs,
    cacheTtlSeconds: settings.cacheTtlSeconds,
  });
}

/** The longest answer a provider may send (a tenant names its base URL): far above any real completion. */
export const LLM_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export const notConfigured = () =>
  new AppError(
    'llm_not_configured',
    409,
    'No LLM provider is configured for this organization: add one with POST /v1/llm/providers {type, name, model, apiKey: "secret:NAME"} (store the key first with POST /v1/secrets)',
    { set: 'POST /v1/llm/providers' },
  );

/** The LlmGateway on the org's providers (Vercel AI SDK): cache, fallback chain by priority, one record per call. */
export class ProviderGateway implements LlmGateway {
  private readonly providers: LlmProviderRepository;
  private readonly cache: LlmCacheRepository;
  private readonly recorder: LlmCallRecorder;
  private readonly fetch: GuardedFetch;

  constructor(private readonly deps: ProviderGatewayDeps) {
    this.providers = new LlmProviderRepository(deps.db);
    this.cache = new LlmCacheRepository(deps.db);
    this.recorder = new LlmCallRecorder(deps.db, deps.prices);
    this.fetch = boundedResponses(guardedFetch(deps.egress), LLM_MAX_RESPONSE_BYTES);
  }

  async assertConfigured(orgId: string): Promise<void> {
    if ((await this.providers.enabled(orgId)).length === 0) throw notConfigured();
  }

  async generate<T = never>(req: LlmCallRequest<T>): Promise<LlmCallResult<T>> {
    const chain = await this.providers.enabled(req.orgId);
    if (!chain[0]) throw notConfigured();
    return this.generateOn(chain, req);
  }

  /**
   * One call on `chain` (priority order), no cache lookup unless the request allows it. The health check
   * runs it on one provider, enabled or not.
   */
  async generateOn<T>(chain: LlmProviderRow[], req: LlmCallRequest<T>): Promise<LlmCallResult<T>> {
    const started = performance.now();
    const primary = chain[0]!;
    const key = usesCache(req, this.deps.cacheTtlSeconds) ? cacheKeyOf(req, primary) : undefined;
    const hit = key ? await this.cache.lookup(req.orgId, key) : undefined;
    const hitObject = hit ? revalidated(req, hit.object) : undefined;
    if (hit && hitObject) return this.result(req, started, { ...hit, object: hitObject.value }, hit, [], true);

    const { links, redactor, trace } = await this.linksFor(req.orgId, chain);
    try {
      if (links.length === 0) throw trace.failed.at(-1)!.error;
      const answer = await callModel(
        req,
        fallbackChain(links, { timeoutMs: this.deps.timeoutMs, redactor, signal: req.signal }, trace),
      );
      const answered = trace.answered ?? primary;
      const by = { provider: answered, model: answered.model };
      const cached = {
        ...answer,
        provider: { id: answered.id, name: answered.name, type: answered.type },
        model: by.model,
      };
      // The record and the cache entry are independent writes: one round trip's wait, not two.
      const [result] = await Promise.all([
        this.result(req, started, answer, by, trace.failed, false),
        key ? this.cache.store(req.orgId, key, primary.id, cached, this.deps.cacheTtlSeconds) : undefined,
      ]);
      return result;
    } catch (err) {
      if (req.signal?.aborted) throw err;
      // The chain's own failures are mapped already; what comes after a provider answered (its output
      // failing the schema, a broken stream) is that provider's failure.
      const answered = trace.answered ?? primary;
      const final =
        err instanceof LlmCallError ? err : mapLlmError(err, { provider: answered.name, redactor, timedOut: false });
      if (!trace.failed.some((f) => f.error === final))
        trace.failed.push({ providerId: answered.id, name: answered.name, code: final.code, error: final });
      const attempts = trace.failed.map(({ providerId, name, code }) => ({ providerId, name, code }));
      const failedAt = chain.find((p) => p.id === attempts.at(-1)?.providerId) ?? primary;
      await this.recorder.record(req, started, {
        provider: failedAt,
        model: failedAt.model,
        status: 'error',
        code: final.code,
        fellBackFrom: attempts.slice(0, -1),
      });
      throw final.withDetails({ attempts });
    }
  }

  /** Each provider's model with its key from the vault; one whose secret is gone fails as `llm_auth` up front. */
  private async linksFor(orgId: string, chain: LlmProviderRow[]) {
    if (!this.deps.vault) throw new VaultUnavailableError();
    const values = await this.deps.vault.revealMany(
      orgId,
      chain.map((p) => p.api_key_secret),
    );
    const redactor = new Redactor([...values].map(([name, value]) => ({ name, value })));
    const links: ChainLink[] = [];
    const trace: ChainTrace = { failed: [] };
    for (const p of chain) {
      const key = values.get(p.api_key_secret);
      if (key !== undefined) {
        links.push({ provider: p, model: languageModelFor(p, key, this.fetch) });
        continue;
      }
      const error = new LlmCallError(
        'llm_auth',
        `LLM provider "${p.name}": its key, secret "${p.api_key_secret}", does not exist in this organization`,
        { provider: p.name },
      );
      trace.failed.push({ providerId: p.id, name: p.name, code: error.code, error });
    }
    return { links, redactor, trace };
  }

  private async result<T>(
    req: LlmCallRequest<T>,
    started: number,
    answer: Answer,
    by: { provider: RecordedProvider; model: string },
    failed: ChainTrace['failed'],
    cacheHit: boolean,
  ): Promise<LlmCallResult<T>> {
    const fellBackFrom = failed.map(({ providerId, name, code }) => ({ providerId, name, code }));
    // A hit spent nothing: its record and result carry no tokens and no cost.
    const recorded = await this.recorder.record(req, started, {
      ...by,
      status: 'ok',
      fellBackFrom,
      usage: cacheHit ? undefined : answer.usage,
      cacheHit,
    });
    return {
      callId: recorded.callId,
      text: answer.text,
      object: answer.object as T,
      toolCalls: answer.toolCalls,
      provider: { id: by.provider.id, name: by.provider.name, type: by.provider.type },
      model: by.model,
      usage: recorded.usage,
      costUsd: recorded.costUsd,
      latencyMs: recorded.latencyMs,
      cacheHit,
      fellBackFrom,
    };
  }
}

/** A cached object passes the caller's schema again; one that no longer does is treated as a miss. */
function revalidated(req: LlmCallRequest<unknown>, object: unknown): { value: unknown } | undefined {
  if (!req.schema) return { value: undefined };
  const r = req.schema.safeParse(object);
  return r.success ? { value: r.data } : undefined;
}
