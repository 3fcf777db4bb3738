// The secrets vault over the API: values encrypted at rest, never returned, audited or logged, and
// `secret:NAME` in an MCP server's headers resolved only when a connection is opened.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { generateMasterKey, MasterKeyring } from '../../core/crypto/master-key.js';
import { createDb, ensureDatabase, migrateLatest, type Db } from '../../core/db/knex.js';
import { IdentityService } from '../../core/identity/identity.service.js';
import { SecretVault } from '../../core/secrets/vault.js';
import { freePort } from '../../scripts/dev/processes.js';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { startPlatform, userWithRole, waitForStatus } from '../helpers/platform.js';
import { call, createOrg, runTs, stackEnv, TEST_MASTER_KEY } from '../helpers/stack.js';

let logs = '';
const logger = pino(
  { level: 'trace' },
  new Writable({ write: (chunk, _enc, done) => ((logs += String(chunk)), done()) }),
);
let api: Awaited<ReturnType<typeof startPlatform>>;
let mcpHttp: HttpMcpServer;
beforeAll(async () => {
  mcpHttp = await startHttpMcpServer();
  // The API and the worker (the only one that opens MCP connections) log into `logs`.
  api = await startPlatform({ logger });
});
afterAll(async () => {
  await api?.stop();
  await mcpHttp?.stop();
});

const value = (label: string) => `${label}-${randomUUID()}`;
type Response = Awaited<ReturnType<typeof call>>;

describe('secrets API', () => {
  it('keeps values encrypted at rest and out of every response, audit row and log line', async () => {
    const { org, adminKey } = await createOrg(api.db, 'secrets');
    const developer = await userWithRole(api.db, org.id, 'developer');
    const viewer = await userWithRole(api.db, org.id, 'viewer');
    const [v1, v2] = [value('first'), value('second')];
    const responses: Response[] = [];
    const r = (res: Response) => (responses.push(res), res);

    const created = r(
      await call(`${api.url}/v1/secrets`, { method: 'POST', key: adminKey, json: { name: 'API_TOKEN', value: v1 } }),
    );
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({
      name: 'API_TOKEN',
      version: 1,
      rotatedAt: null,
      reference: 'secret:API_TOKEN',
    });
    expect(
      r(await call(`${api.url}/v1/secrets`, { method: 'POST', key: adminKey, json: { name: 'API_TOKEN', value: v2 } }))
        .status,
    ).toBe(409);
    expect(
      r(await call(`${api.url}/v1/secrets`, { method: 'POST', key: developer.key, json: { name: 'OTHER', value: v1 } }))
        .status,
    ).toBe(403);
    const invalid = r(
      await call(`${api.url}/v1/secrets`, {
        method: 'POST',
        key: adminKey,
        json: { name: 'bad name', value: v1, extra: v1 },
      }),
    );
    expect(invalid.json.error.code).toBe('validation_error');

    const rotated = r(
      await call(`${api.url}/v1/secrets/API_TOKEN/rotate`, { method: 'POST', key: adminKey, json: { value: v2 } }),
    );
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.json.version).toBe(2);
    expect(rotated.json.rotatedAt).not.toBeNull();
    expect(
      r(
        await call(`${api.url}/v1/secrets/API_TOKEN/rotate`, {
          method: 'POST',
          key: developer.key,
          json: { value: v1 },
        }),
      ).status,
    ).toBe(403);

    const list = r(await call(`${api.url}/v1/secrets`, { key: developer.key }));
    expect(list.json.data).toEqual([expect.objectContaining({ name: 'API_TOKEN', version: 2 })]);
    expect(r(await call(`${api.url}/v1/secrets/API_TOKEN`, { key: adminKey })).json.version).toBe(2);
    expect(r(await call(`${api.url}/v1/secrets`, { key: viewer.key })).status).toBe(403);
    expect(r(await call(`${api.url}/v1/secrets/NOPE`, { key: adminKey })).status).toBe(404);
    const other = await createOrg(api.db, 'other');
    expect(r(await call(`${api.url}/v1/secrets/API_TOKEN`, { key: other.adminKey })).status).toBe(404);
    const audit = r(await call(`${api.url}/v1/audit`, { key: adminKey }));
    expect(audit.json.data.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['secret.created', 'secret.rotated']),
    );

    // Both versions are kept, each under its own data key, wrapped by the run's master key.
    const versions = await api
      .db('secret_versions as v')
      .join('secrets as s', 's.id', 'v.secret_id')
      .where('s.org_id', org.id)
      .orderBy('v.version')
      .select('v.*');
    expect(versions.map((v) => v.version)).toEqual([1, 2]);
    expect(new Set(versions.map((v) => v.kek_id))).toEqual(
      new Set([MasterKeyring.fromBase64(TEST_MASTER_KEY).active.kid]),
    );
    for (const v of versions) {
      for (const plain of [v1, v2]) {
        expect(Buffer.from(v.ciphertext).includes(Buffer.from(plain))).toBe(false);
        expect(Buffer.from(v.wrapped_dek).includes(Buffer.from(plain))).toBe(false);
      }
    }
    const auditRows = await api.db('audit_events').where({ org_id: org.id });
    const stored = JSON.stringify(await api.db('secrets').where({ org_id: org.id })) + JSON.stringify(auditRows);
    for (const plain of [v1, v2]) {
      for (const res of responses) expect(res.text).not.toContain(plain);
      expect(stored).not.toContain(plain);
      expect(logs).not.toContain(plain);
    }
    expect(logs).toContain('"msg":"request"');
  });

  it('sends the latest value of secret:NAME as the header when the worker lists tools, reconnecting after rotation', async () => {
    const { adminKey } = await createOrg(api.db, 'secret refs');
    const [v1, v2] = [value('header-one'), value('header-two')];
    await call(`${api.url}/v1/secrets`, { method: 'POST', key: adminKey, json: { name: 'MCP_TOKEN', value: v1 } });
    const server = await call(`${api.url}/v1/mcp-servers`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'h', transport: 'http', url: mcpHttp.url, headers: { 'x-test-secret': 'secret:MCP_TOKEN' } },
    });
    expect(server.status, server.text).toBe(201);
    await mcpHttp.clearCalls();
    const agent = await call(`${api.url}/v1/agents`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'a', capabilities: [{ name: 'say', server: 'h', tool: 'echo' }] },
    });
    expect(agent.status, agent.text).toBe(201);
    const first = await mcpHttp.secretHeaders();
    expect(first).toContainEqual({ method: 'tools/list', value: v1 });
    expect(first.map((h) => h.value)).not.toContain('secret:MCP_TOKEN');

    await call(`${api.url}/v1/secrets/MCP_TOKEN/rotate`, { method: 'POST', key: adminKey, json: { value: v2 } });
    await mcpHttp.clearCalls();
    // A repin asks the worker for a fresh tools/list: its connection opens anew with the rotated value.
    const patched = await call(`${api.url}/v1/agents/${agent.json.id}/capabilities/say/repin`, {
      method: 'POST',
      key: adminKey,
    });
    expect(patched.status, patched.text).toBe(200);
    const second = await mcpHttp.secretHeaders();
    // A new connection (initialize), made with the rotated value only.
    expect(second).toContainEqual({ method: 'initialize', value: v2 });
    expect(second).toContainEqual({ method: 'tools/list', value: v2 });
    expect(second.map((h) => h.value)).not.toContain(v1);

    const inUse = await call(`${api.url}/v1/secrets/MCP_TOKEN`, { method: 'DELETE', key: adminKey });
    expect(inUse.status).toBe(409);
    expect(inUse.json.error.details).toEqual({ servers: ['h'] });
    for (const res of [server, agent, patched, inUse]) expect(res.text).not.toMatch(/header-(one|two)-/);
    expect(logs).not.toMatch(/header-(one|two)-/);

    await call(`${api.url}/v1/agents/${agent.json.id}`, { method: 'DELETE', key: adminKey });
    await call(`${api.url}/v1/mcp-servers/${server.json.id}`, { method: 'DELETE', key: adminKey });
    expect((await call(`${api.url}/v1/secrets/MCP_TOKEN`, { method: 'DELETE', key: adminKey })).status).toBe(204);
    expect((await call(`${api.url}/v1/secrets/MCP_TOKEN`, { key: adminKey })).status).toBe(404);
  });

  it('names a secret that does not exist when the server is registered, and nothing else', async () => {
    const { adminKey } = await createOrg(api.db, 'missing secret');
    const res = await call(`${api.url}/v1/mcp-servers`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'h', transport: 'http', url: mcpHttp.url, headers: { 'x-test-secret': 'secret:NOT_THERE' } },
    });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'unknown_secret', details: { server: 'h', secrets: ['NOT_THERE'] } });
    expect(res.json.error.message).toBe(
      'MCP server "h" references secret "NOT_THERE", which does not exist in this organization',
    );
  });
});

describe('secret references in the worker', () => {
  let platform: Awaited<ReturnType<typeof startPlatform>>;
  beforeAll(async () => {
    platform = await startPlatform();
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('resolves secret:NAME for each tool call, using the rotated value from then on', async () => {
    const { org, adminKey } = await createOrg(platform.db, 'worker secrets');
    const [v1, v2] = [value('call-one'), value('call-two')];
    await mcpHttp.clearCalls();
    await call(`${platform.url}/v1/secrets`, { method: 'POST', key: adminKey, json: { name: 'TOKEN', value: v1 } });
    await call(`${platform.url}/v1/mcp-servers`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'h', transport: 'http', url: mcpHttp.url, headers: { 'x-test-secret': 'secret:TOKEN' } },
    });
    const agent = await call(`${platform.url}/v1/agents`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'a', capabilities: [{ name: 'say', server: 'h', tool: 'echo' }] },
    });
    const invoke = async () => {
      const res = await call(`${platform.url}/v1/agents/${agent.json.id}/invoke`, {
        method: 'POST',
        key: adminKey,
        json: { capability: 'say', input: { text: 'hi' } },
      });
      return waitForStatus(platform.url, adminKey, res.json.invocationId, 'succeeded');
    };
    await invoke();
    const before = await mcpHttp.secretHeaders();
    expect(before.filter((h) => h.method === 'tools/call').map((h) => h.value)).toEqual([v1]);
    // Neither health probes nor calls ever send the unresolved reference.
    expect(before.map((h) => h.value)).not.toContain('secret:TOKEN');
    await call(`${platform.url}/v1/secrets/TOKEN/rotate`, { method: 'POST', key: adminKey, json: { value: v2 } });
    await mcpHttp.clearCalls();
    await invoke();
    const after = await mcpHttp.secretHeaders();
    expect(after.filter((h) => h.method === 'tools/call').map((h) => h.value)).toEqual([v2]);
    expect(after.map((h) => h.value)).not.toContain('secret:TOKEN');

    // A secret gone from under a server fails the invocation at once, naming the secret (no retries).
    await platform.db('secrets').where({ org_id: org.id, name: 'TOKEN' }).delete();
    const res = await call(`${platform.url}/v1/agents/${agent.json.id}/invoke`, {
      method: 'POST',
      key: adminKey,
      json: { capability: 'say', input: { text: 'hi' } },
    });
    const failed = await waitForStatus(platform.url, adminKey, res.json.invocationId, 'failed');
    expect(failed.error).toMatchObject({
      code: 'unknown_secret',
      message: 'MCP server "h" references secret "TOKEN", which does not exist in this organization',
    });
  });
});

// Each of these tests wraps data with keys of its own, so it gets a database of its own: the run's shared
// database must only ever hold data wrapped by TEST_MASTER_KEY.
describe('master keys', () => {
  const databases: { url: string; db: Db }[] = [];
  async function freshDatabase() {
    const url = new URL(inject('databaseUrl'));
    url.pathname = `/collexa_vault_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    await ensureDatabase(url.toString());
    const db = createDb(url.toString(), 4);
    await migrateLatest(db);
    const { org } = await new IdentityService(db).createOrganization('vault', 'test');
    databases.push({ url: url.toString(), db });
    return { url: url.toString(), db, orgId: org.id };
  }
  afterAll(async () => {
    await Promise.all(databases.map(({ db }) => db.destroy()));
    const admin = new URL(inject('databaseUrl'));
    admin.pathname = '/postgres';
    const db = createDb(admin.toString(), 1);
    for (const { url } of databases)
      await db.raw('drop database if exists ?? with (force)', [new URL(url).pathname.slice(1)]);
    await db.destroy();
  });
  const vaultOf = (db: Db, key: string, previous: string[] = []) =>
    new SecretVault(db, MasterKeyring.fromBase64(key, previous));

  it('refuses a different master key with a clear error, at start and at use, and the API does not start', async () => {
    const { url, db, orgId } = await freshDatabase();
    const [original, other] = [generateMasterKey(), generateMasterKey()];
    const plain = value('mismatch');
    await vaultOf(db, original).create(orgId, 'S', plain);
    const wrong = vaultOf(db, other);
    await expect(wrong.verify()).rejects.toThrow(/master key does not match the one secrets were encrypted with/);
    await expect(wrong.reveal(orgId, 'S')).rejects.toThrow(/master key does not match/);
    await expect(wrong.rotate(orgId, 'S', 'x')).rejects.toThrow(/master key does not match/);
    const started = await runTs(
      'api/server.ts',
      [],
      stackEnv({ DATABASE_URL: url, COLLEXA_MASTER_KEY: other, PORT: String(await freePort()) }),
    );
    expect(started.code).toBe(78);
    const output = started.stdout + started.stderr;
    expect(output).toContain('master key does not match the one secrets were encrypted with');
    expect(output).not.toContain('api listening');
    for (const text of [plain, original, other]) expect(output).not.toContain(text);
  });

  it('rotates the master key: the old one in COLLEXA_MASTER_KEYS unwraps, data keys are re-wrapped, then the old key can go', async () => {
    const { db, orgId } = await freshDatabase();
    const [oldKey, newKey] = [generateMasterKey(), generateMasterKey()];
    const plain = value('rotate-master');
    await vaultOf(db, oldKey).create(orgId, 'S', plain);
    const during = vaultOf(db, newKey, [oldKey]);
    await during.verify();
    expect(await during.reveal(orgId, 'S')).toBe(plain);
    expect(await db('secret_versions').pluck('kek_id')).toEqual([MasterKeyring.fromBase64(newKey).active.kid]);
    expect(await vaultOf(db, newKey).reveal(orgId, 'S')).toBe(plain);
    await expect(vaultOf(db, oldKey).verify()).rejects.toThrow(/master key does not match/);
    expect((await db('vault_meta').pluck('kid')).sort()).toEqual(
      [MasterKeyring.fromBase64(oldKey).active.kid, MasterKeyring.fromBase64(newKey).active.kid].sort(),
    );
  });

  it('refuses an altered ciphertext instead of returning garbage', async () => {
    const { db, orgId } = await freshDatabase();
    const key = generateMasterKey();
    const plain = value('tamper');
    await vaultOf(db, key).create(orgId, 'S', plain);
    const [row] = await db('secret_versions').select('secret_id', 'ciphertext');
    const altered = Buffer.from(row.ciphertext);
    altered[13]! ^= 0xff;
    await db('secret_versions').where({ secret_id: row.secret_id }).update({ ciphertext: altered });
    const attempt = vaultOf(db, key).reveal(orgId, 'S');
    await expect(attempt).rejects.toThrow(
      'secret "S" version 1 could not be decrypted: the stored ciphertext or data key was altered',
    );
  });
});
