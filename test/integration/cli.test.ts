import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform } from '../helpers/platform.js';
import { call, runTs, stackEnv } from '../helpers/stack.js';

const cli = (...args: string[]) => runTs('scripts/cli/main.ts', args, stackEnv());

let api: Awaited<ReturnType<typeof startPlatform>>;
beforeAll(async () => {
  api = await startPlatform({ worker: 'none' });
});
afterAll(() => api.stop());

describe('collexa CLI', () => {
  it('creates an org whose admin key works against the API', async () => {
    const r = await cli('org', 'create', 'Acme', 'Corp', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.name).toBe('Acme Corp');
    const me = await call(`${api.url}/v1/me`, { key: out.adminKey.key });
    expect(me.json).toMatchObject({ org: { id: out.orgId, name: 'Acme Corp' }, user: { role: 'admin' } });
  });

  it('issues, lists and revokes a key; the revoked key then gets 401', async () => {
    const org = JSON.parse((await cli('org', 'create', 'Keys Inc', '--json')).stdout);
    const created = await cli('key', 'create', '--org', org.orgId, '--role', 'approver', '--name', 'bob', '--json');
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout);
    expect(key).toMatchObject({ role: 'approver', name: 'bob', orgId: org.orgId });
    expect((await call(`${api.url}/v1/me`, { key: key.key })).json.user.role).toBe('approver');

    const list = await cli('key', 'list', '--org', org.orgId, '--json');
    expect(list.stdout).not.toContain(key.key);
    expect(JSON.parse(list.stdout).map((k: { id: string }) => k.id)).toContain(key.id);

    const revoked = await cli('key', 'revoke', key.id, '--json');
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout).revoked_at).toBeTruthy();
    expect((await call(`${api.url}/v1/me`, { key: key.key })).status).toBe(401);
  });

  it('prints a human summary without --json', async () => {
    const r = await cli('org', 'create', 'Plain');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/org id\s+[0-9a-f-]{36}/);
    expect(r.stdout).toMatch(/admin key\s+clx_/);
  });

  it('rejects usage mistakes with exit code 2 and a reason', async () => {
    const badRole = await cli(
      'key',
      'create',
      '--org',
      '00000000-0000-4000-8000-000000000000',
      '--role',
      'emperor',
      '--json',
    );
    expect(badRole.code).toBe(2);
    expect(JSON.parse(badRole.stderr).error).toMatchObject({
      code: 'usage',
      message: expect.stringContaining('--role'),
    });
    expect((await cli('org', 'create')).code).toBe(2);
    expect((await cli('frobnicate')).code).toBe(2);
    expect((await cli('key', 'revoke', 'nope')).code).toBe(2);
  });

  it('reports an unknown org or key as not found (exit 1)', async () => {
    const r = await cli('key', 'create', '--org', '00000000-0000-4000-8000-000000000000', '--role', 'viewer', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stderr).error.code).toBe('not_found');
  });

  it('fails fast on invalid configuration, naming the variable', async () => {
    const r = await runTs('scripts/cli/main.ts', ['org', 'list'], stackEnv({ DATABASE_URL: 'not a url' }));
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('DATABASE_URL');
  });
});
