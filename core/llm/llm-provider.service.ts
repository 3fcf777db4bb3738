import type { Knex } from 'knex';
import { AuditRepository } from '../db/audit.repository.js';
import { LlmCacheRepository, type LlmCacheStats } from '../db/llm-cache.repository.js';
import { LlmCallRepository } from '../db/llm-call.repository.js';
import { LlmProviderRepository, type LlmProviderChange } from '../db/llm-provider.repository.js';
import type { Page } from '../db/page.js';
import { badRequest } from '../errors.js';
import { auditEvent, type Actor } from '../identity/actor.js';
import type { EgressPolicy } from '../net/egress.js';
import { checkEgressField } from '../net/egress-field.js';
import type { SecretReader } from '../secrets/vault.js';
import { LlmCallError } from './llm-errors.js';
import type { CreateLlmProvider, UpdateLlmProvider } from './llm-provider-schemas.js';
import type { LlmCallRow, LlmProviderHealth, LlmProviderRow } from './llm-rows.js';
import { endpointOf, needsBaseUrl, ProviderSettingsSchemas } from './provider-model.js';
import type { ProviderGateway } from './provider-gateway.js';

/** The LLM door: the org's providers (keys by secret reference, base URLs under the egress policy), their health, records and cache. */
export class LlmProviderService {
  private readonly providers: LlmProviderRepository;

  constructor(
    private readonly deps: {
      db: Knex;
      vault: SecretReader | undefined;
      egress: EgressPolicy;
      gateway: ProviderGateway;
    },
  ) {
    this.providers = new LlmProviderRepository(deps.db);
  }

  async create(actor: Actor, body: CreateLlmProvider): Promise<LlmProviderRow> {
    const row = {
      org_id: actor.orgId,
      name: body.name,
      type: body.type,
      model: body.model,
      api_key_secret: body.apiKey.slice('secret:'.length),
      base_url: body.baseUrl ?? null,
      priority: body.priority,
      enabled: body.enabled,
      settings: body.settings,
    };
    await this.check(row);
    return this.deps.db.transaction(async (trx) => {
      const created = await new LlmProviderRepository(trx).create(row);
      await this.audit(trx, actor, 'llm_provider.created', created);
      return created;
    });
  }

  list(orgId: string): Promise<LlmProviderRow[]> {
    return this.providers.list(orgId);
  }

  get(orgId: string, id: string): Promise<LlmProviderRow> {
    return this.providers.get(orgId, id);
  }

  async update(actor: Actor, id: string, body: UpdateLlmProvider): Promise<LlmProviderRow> {
    const current = await this.providers.get(actor.orgId, id);
    const change: LlmProviderChange = {
      ...(body.name === undefined ? {} : { name: body.name }),
      ...(body.model === undefined ? {} : { model: body.model }),
      ...(body.apiKey === undefined ? {} : { api_key_secret: body.apiKey.slice('secret:'.length) }),
      ...(body.baseUrl === undefined ? {} : { base_url: body.baseUrl }),
      ...(body.priority === undefined ? {} : { priority: body.priority }),
      ...(body.enabled === undefined ? {} : { enabled: body.enabled }),
      ...(body.settings === undefined ? {} : { settings: body.settings }),
    };
    await this.check({ ...current, ...change });
    return this.deps.db.transaction(async (trx) => {
      const updated = await new LlmProviderRepository(trx).update(actor.orgId, id, change);
      await this.audit(trx, actor, 'llm_provider.updated', updated);
      return updated;
    });
  }

  async remove(actor: Actor, id: string): Promise<void> {
    const current = await this.providers.get(actor.orgId, id);
    await this.deps.db.transaction(async (trx) => {
      await new LlmProviderRepository(trx).remove(actor.orgId, id);
      await this.audit(trx, actor, 'llm_provider.deleted', current);
    });
  }

  async health(orgId: string, id: string): Promise<LlmProviderHealth> {
    const provider = await this.providers.get(orgId, id);
    const started = performance.now();
    let health: LlmProviderHealth;
    try {
      await this.deps.gateway.generateOn([provider], {
        orgId,
        purpose: 'llm.health',
        messages: [{ role: 'user', content: 'Reply with OK.' }],
        maxOutputTokens: 16,
        cache: 'bypass',
      });
      health = { ok: true, latencyMs: ms(started), checkedAt: new Date().toISOString() };
    } catch (err) {
      if (!(err instanceof LlmCallError)) throw err;
      health = {
        ok: false,
        latencyMs: ms(started),
        code: err.code,
        message: err.message,
        checkedAt: new Date().toISOString(),
      };
    }
    await this.providers.recordHealth(orgId, id, health);
    return health;
  }

  calls(orgId: string, filter: { purpose?: string; limit: number; cursor?: string }): Promise<Page<LlmCallRow>> {
    return new LlmCallRepository(this.deps.db).list(orgId, filter);
  }

  cacheStats(orgId: string): Promise<LlmCacheStats> {
    return new LlmCacheRepository(this.deps.db).stats(orgId);
  }

  async clearCache(actor: Actor): Promise<number> {
    const removed = await new LlmCacheRepository(this.deps.db).clear(actor.orgId);
    await new AuditRepository(this.deps.db).record(
      auditEvent(actor, 'llm_cache.cleared', 'llm_cache', actor.orgId, { removed }),
    );
    return removed;
  }

  /** The type's settings, a base URL where the type has no default, the key's secret in this org, egress. */
  private async check(
    p: Pick<LlmProviderRow, 'org_id' | 'type' | 'model' | 'api_key_secret' | 'base_url' | 'settings'>,
  ) {
    const settings = ProviderSettingsSchemas[p.type].safeParse(p.settings);
    if (!settings.success)
      throw badRequest('validation_error', `settings: not valid for type ${p.type}`, {
        issues: settings.error.issues.map((i) => ({
          path: ['settings', ...i.path].join('.'),
          message: i.message,
          code: i.code,
        })),
      });
    if (!p.base_url && needsBaseUrl(p.type, p.settings))
      throw badRequest(
        'validation_error',
        p.type === 'azure-openai' ? 'azure-openai needs baseUrl or settings.resource' : `${p.type} needs baseUrl`,
        { field: 'baseUrl' },
      );
    if (!this.deps.vault)
      throw badRequest('unknown_secret', 'secrets are unavailable (COLLEXA_MASTER_KEY is not set)', {});
    const found = await this.deps.vault.revealMany(p.org_id, [p.api_key_secret]);
    if (!found.has(p.api_key_secret))
      throw badRequest(
        'unknown_secret',
        `apiKey references secret "${p.api_key_secret}", which does not exist in this organization`,
        { secret: p.api_key_secret },
      );
    const endpoint = endpointOf(p);
    if (endpoint) await checkEgressField(this.deps.egress, endpoint, p.base_url ? 'baseUrl' : 'settings.resource');
  }

  private audit(trx: Knex, actor: Actor, action: string, p: LlmProviderRow) {
    return new AuditRepository(trx).record(
      auditEvent(actor, action, 'llm_provider', p.id, {
        name: p.name,
        type: p.type,
        model: p.model,
        apiKey: `secret:${p.api_key_secret}`,
      }),
      trx,
    );
  }
}

const ms = (started: number) => Math.round(performance.now() - started);
