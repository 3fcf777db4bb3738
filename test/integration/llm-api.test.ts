// /v1/llm over the real API (real PostgreSQL, Temporal, vault): providers configured with a secret
// reference, validated (type, secret, egress), managed by admins and read by developers and viewers, health
// checks through the real client against the wire server, records, cache stats and clear; per org; the key
// never in a response, a record or a log line.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { addWireProvider, storeKey, testGateway } from '../helpers/llm.js';
import { startLlmWireServer, type LlmWireServer } from '../helpers/llm-wire-server.js';
import { startPlatform, userWithRole } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';

let logs = '';
const logger = pino({ level: 'trace' }, new Writable({ write: (c, _e, done) => ((logs += String(c)), done()) }));
let api: Awaited<ReturnType<typeof startPlatform>>;
let wire: LlmWireServer;
beforeAll(async () => {
  wire = await startLlmWireServer();
  api = await startPlatform({ logger, worker: 'none' });
});
afterAll(async () => {
  await api?.stop();
  await wire?.close();
});
beforeEach(() => wire.reset());

async function orgWithKey(name: string) {
  const { org, adminKey } = await createOrg(api.db, name);
  const key = `sk-live-${randomUUID()}`;
  const secret = await storeKey(api.db, org.id, key, 'OPENAI_KEY');
  return { org, adminKey, key, secret };
}

const post = (path: string, key: string, json: unknown) => call(`${api.url}${path}`, { method: 'POST', key, json });
const get = (path: string, key: string) => call(`${api.url}${path}`, { key });

describe('/v1/llm/providers', () => {
  it('creates, lists, shows, updates and deletes a provider configured with a secret reference', async () => {
    const { org, adminKey, key } = await orgWithKey('llm api crud');
    const developer = await userWithRole(api.db, org.id, 'developer');
    const viewer = await userWithRole(api.db, org.id, 'viewer');
    const body = {
      type: 'openai',
      name: 'primary',
      model: 'gpt-4o-mini',
      apiKey: 'secret:OPENAI_KEY',
      baseUrl: wire.baseUrl('openai', 'crud'),
      priority: 1,
      enabled: true,
    };
    const created = await post('/v1/llm/providers', adminKey, body);
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({ ...body, settings: {}, health: null });
    const id = created.json.id as string;
    expect((await post('/v1/llm/providers', adminKey, body)).status).toBe(409);
    expect((await post('/v1/llm/providers', developer.key, { ...body, name: 'dev' })).status).toBe(403);

    for (const reader of [adminKey, developer.key, viewer.key]) {
      const list = await get('/v1/llm/providers', reader);
      expect(list.status).toBe(200);
      expect(list.json.data.map((p: { id: string }) => p.id)).toEqual([id]);
      expect((await get(`/v1/llm/providers/${id}`, reader)).json.name).toBe('primary');
    }
    const patch = (k: string, json: unknown) =>
      call(`${api.url}/v1/llm/providers/${id}`, { method: 'PATCH', key: k, json });
    expect((await patch(viewer.key, { enabled: false })).status).toBe(403);
    const patched = await patch(adminKey, { enabled: false, priority: 5, model: 'gpt-4.1-mini' });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json).toMatchObject({ enabled: false, priority: 5, model: 'gpt-4.1-mini' });
    expect((await patch(adminKey, { apiKey: key })).json.error.code).toBe('validation_error');

    const secretInUse = await call(`${api.url}/v1/secrets/OPENAI_KEY`, { method: 'DELETE', key: adminKey });
    expect(secretInUse.status).toBe(409);
    expect(secretInUse.json.error.details).toEqual({ llmProviders: ['primary'] });
    const del = (k: string) => call(`${api.url}/v1/llm/providers/${id}`, { method: 'DELETE', key: k });
    expect((await del(developer.key)).status).toBe(403);
    expect((await del(adminKey)).status).toBe(204);
    expect((await get(`/v1/llm/providers/${id}`, adminKey)).status).toBe(404);
    const audit = await api.db('audit_events').where({ org_id: org.id }).whereLike('action', 'llm_provider.%');
    expect(audit.map((a: { action: string }) => a.action).sort()).toEqual([
      'llm_provider.created',
      'llm_provider.deleted',
      'llm_provider.updated',
    ]);
  });

  it.each([
    ['a bad type', { type: 'cohere' }, 'validation_error'],
    ['a raw key instead of a secret reference', { apiKey: 'sk-raw-key' }, 'validation_error'],
    ['a secret that does not exist in the org', { apiKey: 'secret:NOPE' }, 'unknown_secret'],
    ['a base URL the egress policy refuses', { baseUrl: 'http://169.254.169.254/v1' }, 'egress_denied'],
    ['a platform service as base URL', { baseUrl: `http://${inject('temporalAddress')}/v1` }, 'egress_denied'],
    ['openai-compatible without a base URL', { type: 'openai-compatible', baseUrl: undefined }, 'validation_error'],
    ['settings another type does not take', { settings: { resource: 'x' } }, 'validation_error'],
    ['an unknown field', { extra: 1 }, 'validation_error'],
  ])('refuses %s with a 400 envelope', async (_, change, code) => {
    const { adminKey } = await orgWithKey('llm api bad');
    const res = await post('/v1/llm/providers', adminKey, {
      type: 'openai',
      name: 'p',
      model: 'gpt-4o',
      apiKey: 'secret:OPENAI_KEY',
      baseUrl: wire.baseUrl('openai', 'bad'),
      ...change,
    });
    expect(res.status, res.text).toBe(400);
    expect(res.json.error).toMatchObject({ code, message: expect.any(String), details: expect.any(Object) });
  });

  it("keeps each org's providers, records and cache to itself", async () => {
    const a = await orgWithKey('llm api org a');
    const b = await orgWithKey('llm api org b');
    const p = await addWireProvider(api.db, wire, a.org.id, 'anthropic');
    await testGateway(api.db).generate({ orgId: a.org.id, purpose: 'x', messages: [{ role: 'user', content: 'hi' }] });
    expect((await get(`/v1/llm/providers/${p.id}`, b.adminKey)).status).toBe(404);
    expect((await get(`/v1/llm/providers/${p.id}/health`, b.adminKey)).status).toBe(404);
    const patched = await call(`${api.url}/v1/llm/providers/${p.id}`, {
      method: 'PATCH',
      key: b.adminKey,
      json: { enabled: false },
    });
    expect(patched.status).toBe(404);
    expect((await call(`${api.url}/v1/llm/providers/${p.id}`, { method: 'DELETE', key: b.adminKey })).status).toBe(404);
    expect((await get('/v1/llm/providers', b.adminKey)).json.data).toEqual([]);
    expect((await get('/v1/llm/calls', b.adminKey)).json.data).toEqual([]);
    expect((await get('/v1/llm/cache/stats', b.adminKey)).json).toMatchObject({ entries: 0, hits: 0, misses: 0 });
    expect((await post('/v1/llm/cache/clear', b.adminKey, {})).json).toEqual({ removed: 0 });
    expect((await get('/v1/llm/cache/stats', a.adminKey)).json.entries).toBe(1);
    await expect(
      testGateway(api.db).generate({ orgId: b.org.id, purpose: 'x', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toMatchObject({ code: 'llm_not_configured', httpStatus: 409 });
  });
});

describe('provider health', () => {
  it('checks a provider with a real minimal call, records it, and reports a failing one with its mapped error', async () => {
    const { org, adminKey, key } = await orgWithKey('llm api health');
    const created = await post('/v1/llm/providers', adminKey, {
      type: 'google',
      name: 'gemini',
      model: 'gemini-2.5-flash',
      apiKey: 'secret:OPENAI_KEY',
      baseUrl: wire.baseUrl('google', 'health'),
      priority: 1,
    });
    const id = created.json.id as string;
    const ok = await get(`/v1/llm/providers/${id}/health`, adminKey);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json).toMatchObject({ providerId: id, status: 'ok', ok: true, latencyMs: expect.any(Number) });
    expect(wire.requestsFor('health')[0]!.headers['x-goog-api-key']).toBe(key);

    wire.script('health', [{ fail: 'auth', message: `API key not valid: ${key}` }]);
    const failing = await get(`/v1/llm/providers/${id}/health`, adminKey);
    expect(failing.status).toBe(200);
    expect(failing.json).toMatchObject({ status: 'failing', ok: false, code: 'llm_auth' });
    expect((await get(`/v1/llm/providers/${id}`, adminKey)).json.health).toMatchObject({ ok: false, code: 'llm_auth' });
    const viewer = await userWithRole(api.db, org.id, 'viewer');
    expect((await get(`/v1/llm/providers/${id}/health`, viewer.key)).status).toBe(403);

    const calls = await get('/v1/llm/calls?purpose=llm.health', adminKey);
    expect(calls.json.data.map((c: { status: string }) => c.status)).toEqual(['error', 'ok']);
    expect(calls.json.data[0]).toMatchObject({
      errorCode: 'llm_auth',
      provider: { id, name: 'gemini', type: 'google' },
    });
    expect(JSON.stringify([ok.json, failing.json, calls.json])).not.toContain(key);
    expect(logs).not.toContain(key);
  });
});

describe('each provider type configured over the API', () => {
  it.each([
    ['openai', 'openai', 'gpt-4o-mini', {}, 'authorization'],
    ['anthropic', 'anthropic', 'claude-sonnet-4-5', {}, 'x-api-key'],
    ['google', 'google', 'gemini-2.5-flash', {}, 'x-goog-api-key'],
    ['openai-compatible', 'openai', 'llama3.1', {}, 'authorization'],
    ['azure-openai', 'openai', 'gpt4o-prod', { apiVersion: '2024-10-21' }, 'api-key'],
  ] as const)('%s: created, then healthy through its real client', async (type, vendor, model, settings, header) => {
    const { adminKey, key } = await orgWithKey(`llm api ${type}`);
    const label = `type-${type}`;
    const baseUrl = type === 'azure-openai' ? `${wire.url}/${vendor}/${label}` : wire.baseUrl(vendor, label);
    const created = await post('/v1/llm/providers', adminKey, {
      type,
      name: type,
      model,
      apiKey: 'secret:OPENAI_KEY',
      baseUrl,
      settings,
    });
    expect(created.status, created.text).toBe(201);
    const health = await get(`/v1/llm/providers/${created.json.id}/health`, adminKey);
    expect(health.json, health.text).toMatchObject({ status: 'ok' });
    const [seen] = wire.requestsFor(label);
    expect(String(seen!.headers[header])).toContain(key);
    if (type === 'azure-openai') expect(seen!.path).toBe(`/openai/deployments/${model}/chat/completions`);
  });
});

describe('/v1/llm/calls and the cache', () => {
  it('pages the records newest first, and shows and clears the cache stats', async () => {
    const { org, adminKey } = await orgWithKey('llm api calls');
    const p = await addWireProvider(api.db, wire, org.id, 'openai-compatible', { model: 'gpt-4o-mini' });
    const gateway = testGateway(api.db);
    for (const content of ['one', 'two', 'three', 'one'])
      await gateway.generate({ orgId: org.id, purpose: 'test.page', messages: [{ role: 'user', content }] });
    const first = await get('/v1/llm/calls?limit=3', adminKey);
    expect(first.status).toBe(200);
    expect(first.json.data).toHaveLength(3);
    expect(first.json.data[0]).toMatchObject({ cacheHit: true, costUsd: 0, provider: { id: p.id } });
    expect(first.json.data[1]).toMatchObject({
      cacheHit: false,
      usage: { inputTokens: 100, outputTokens: 20 },
      priced: true,
    });
    const second = await get(`/v1/llm/calls?limit=3&cursor=${first.json.nextCursor}`, adminKey);
    expect(second.json.data).toHaveLength(1);
    expect(second.json.nextCursor).toBeNull();
    expect((await get('/v1/llm/calls?cursor=bogus', adminKey)).json.error.code).toBe('invalid_cursor');
    expect((await get('/v1/llm/calls?limit=0', adminKey)).status).toBe(400);

    const stats = await get('/v1/llm/cache/stats', adminKey);
    expect(stats.json).toMatchObject({ entries: 3, hits: 1, misses: 3, hitRate: 0.25 });
    expect(stats.json.bytes).toBeGreaterThan(0);
    const developer = await userWithRole(api.db, org.id, 'developer');
    expect((await post('/v1/llm/cache/clear', developer.key, {})).status).toBe(403);
    expect((await post('/v1/llm/cache/clear', adminKey, {})).json).toEqual({ removed: 3 });
    expect((await get('/v1/llm/cache/stats', developer.key)).json).toMatchObject({ entries: 0, hits: 0, misses: 0 });
  });
});
