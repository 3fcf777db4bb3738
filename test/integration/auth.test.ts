import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService } from '../../core/identity/identity.service.js';
import { startPlatform } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';

let api: Awaited<ReturnType<typeof startPlatform>>;
beforeAll(async () => {
  api = await startPlatform({ worker: 'none' });
});
afterAll(() => api.stop());

function expectUnauthorized(r: Awaited<ReturnType<typeof call>>, reason: string) {
  expect(r.status).toBe(401);
  expect(r.headers.get('content-type')).toMatch(/application\/json/);
  expect(r.json.error).toMatchObject({ code: 'unauthorized', details: { reason } });
  expect(typeof r.json.error.message).toBe('string');
}

describe('API-key auth', () => {
  it('rejects a request without Authorization', async () => {
    expectUnauthorized(await call(`${api.url}/v1/me`), 'missing');
  });

  it('rejects a non-Bearer Authorization header', async () => {
    expectUnauthorized(
      await call(`${api.url}/v1/me`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } }),
      'malformed',
    );
  });

  it('rejects a token that is not shaped like a Collexa key', async () => {
    expectUnauthorized(await call(`${api.url}/v1/me`, { key: 'not-a-key' }), 'malformed');
  });

  it('rejects a well-formed key that was never issued', async () => {
    expectUnauthorized(await call(`${api.url}/v1/me`, { key: `clx_${'A'.repeat(43)}` }), 'unknown');
  });

  it('rejects a revoked key, and accepts it until then', async () => {
    const { org, identity } = await createOrg(api.db);
    const dev = await identity.createKey({ orgId: org.id, role: 'developer', name: 'ci' });
    expect((await call(`${api.url}/v1/me`, { key: dev.key })).status).toBe(200);
    await identity.revokeKey(dev.id);
    expectUnauthorized(await call(`${api.url}/v1/me`, { key: dev.key }), 'revoked');
  });

  it('scopes the caller to the key’s org and role', async () => {
    const { org, adminKey } = await createOrg(api.db);
    const me = await call(`${api.url}/v1/me`, { key: adminKey });
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ org: { id: org.id }, user: { role: 'admin' } });
  });

  it('forbids a developer from managing keys (403 envelope)', async () => {
    const { org, identity } = await createOrg(api.db);
    const dev = await identity.createKey({ orgId: org.id, role: 'developer' });
    const r = await call(`${api.url}/v1/api-keys`, { key: dev.key });
    expect(r.status).toBe(403);
    expect(r.json.error).toMatchObject({ code: 'forbidden', details: { required: ['admin'], role: 'developer' } });
  });

  it('lets an admin issue a key shown once, list it without the secret, and revoke it', async () => {
    const { adminKey } = await createOrg(api.db);
    const created = await call(`${api.url}/v1/api-keys`, {
      method: 'POST',
      key: adminKey,
      json: { role: 'approver', name: 'alice' },
    });
    expect(created.status).toBe(201);
    expect(created.json.key).toMatch(/^clx_/);
    const list = await call(`${api.url}/v1/api-keys`, { key: adminKey });
    expect(list.text).not.toContain(created.json.key);
    expect(list.json.data.map((k: { id: string }) => k.id)).toContain(created.json.id);
    const revoked = await call(`${api.url}/v1/api-keys/${created.json.id}`, { method: 'DELETE', key: adminKey });
    expect(revoked.status).toBe(200);
    expect(revoked.json.revoked_at).toBeTruthy();
    expect((await call(`${api.url}/v1/me`, { key: created.json.key })).status).toBe(401);
  });

  it('answers 404 for another org’s key and leaves it working', async () => {
    const a = await createOrg(api.db, 'org a');
    const b = await createOrg(api.db, 'org b');
    const bKey = await new IdentityService(api.db).createKey({ orgId: b.org.id, role: 'developer' });
    const r = await call(`${api.url}/v1/api-keys/${bKey.id}`, { method: 'DELETE', key: a.adminKey });
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe('not_found');
    expect((await call(`${api.url}/v1/me`, { key: bKey.key })).status).toBe(200);
  });
});
