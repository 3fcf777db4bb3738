// LLM test set-up: a gateway over the run's database, vault and egress policy, and providers pointed at the
// wire server (each with its own label, so a test scripts each provider of a chain on its own).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { Db } from '../../core/db/knex.js';
import { LlmProviderRepository } from '../../core/db/llm-provider.repository.js';
import type { LlmProviderRow, LlmProviderType } from '../../core/llm/llm-rows.js';
import { createLlmGateway, type LlmSettings, type ProviderGateway } from '../../core/llm/provider-gateway.js';
import { startLlmWireServer, type LlmWireServer, type WireVendor } from './llm-wire-server.js';
import { testDb, testEgress, testVault } from './stack.js';

export const WIRE_VENDOR: Record<LlmProviderType, WireVendor> = {
  openai: 'openai',
  anthropic: 'anthropic',
  google: 'google',
  'openai-compatible': 'openai',
  'azure-openai': 'openai',
};

export const DEFAULT_MODEL: Record<LlmProviderType, string> = {
  openai: 'gpt-4o-mini',
  anthropic: 'claude-sonnet-4-5',
  google: 'gemini-2.5-flash',
  'openai-compatible': 'llama-3.1-8b',
  'azure-openai': 'gpt-4o-deployment',
};

export function testGateway(db: Db, settings: Partial<LlmSettings> = {}): ProviderGateway {
  return createLlmGateway(
    { callTimeoutMs: 2000, cacheTtlSeconds: 3600, prices: {}, ...settings },
    { db, vault: testVault(db), egress: testEgress() },
  );
}

/** Stores `key` as a secret of the org (under a fresh name unless given) and answers its name. */
export async function storeKey(db: Db, orgId: string, key: string, name = `LLM_KEY_${randomUUID().slice(0, 8)}`) {
  await testVault(db).create(orgId, name, key);
  return name;
}

/**
 * A provider of `type` on the wire server under `label` (default: a fresh one), its key stored as a secret.
 * Azure's base URL is the wire server's root: the deployment path is added by the provider.
 */
export async function addWireProvider(
  db: Db,
  wire: LlmWireServer,
  orgId: string,
  type: LlmProviderType,
  o: { label?: string; key?: string; priority?: number; model?: string; name?: string; enabled?: boolean } = {},
): Promise<LlmProviderRow & { label: string; key: string }> {
  const label = o.label ?? `${type}-${randomUUID().slice(0, 8)}`;
  const key = o.key ?? `sk-test-${randomUUID()}`;
  const secret = await storeKey(db, orgId, key);
  const vendor = WIRE_VENDOR[type];
  const baseUrl = type === 'azure-openai' ? `${wire.url}/${vendor}/${label}` : wire.baseUrl(vendor, label);
  const row = await new LlmProviderRepository(db).create({
    org_id: orgId,
    name: o.name ?? label,
    type,
    model: o.model ?? DEFAULT_MODEL[type],
    api_key_secret: secret,
    base_url: baseUrl,
    priority: o.priority ?? 100,
    enabled: o.enabled ?? true,
    settings: type === 'azure-openai' ? { apiVersion: '2024-10-21' } : {},
  });
  return { ...row, label, key };
}

/**
 * A test file's database pool and wire server, started before its tests and stopped after them, the wire
 * server's scripts and records forgotten before each test. Read the fields inside tests (set in beforeAll).
 */
export function useLlmRig(): { db: Db; wire: LlmWireServer } {
  const rig = {} as { db: Db; wire: LlmWireServer };
  beforeAll(async () => {
    rig.db = testDb();
    rig.wire = await startLlmWireServer();
  });
  afterAll(async () => {
    await rig.wire?.close();
    await rig.db?.destroy();
  });
  beforeEach(() => rig.wire.reset());
  return rig;
}
