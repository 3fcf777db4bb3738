// The postgres integration on the real path (agent → invocation workflow → the postgres MCP server,
// sandboxed, whose only way out is the egress proxy's CONNECT → a database): connected, to a database and
// role this test makes in the run's own PostgreSQL, reached as 127.0.0.1:<port> (the test egress policy
// allows it); and in an emulated sandbox, a scratch database of the sandbox's own.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  connectedIntegration,
  integrationRig,
  toolErrorOf,
  type IntegrationRig,
  type InvocationView,
  type Platform,
} from '../helpers/integration-rig.js';
import { call, createOrg } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';
import { startPlatform } from '../helpers/platform.js';

const name = `pgint_${randomBytes(6).toString('hex')}`;
const password = `pw-${randomBytes(12).toString('hex')}`;
let platform: Platform;
let url: string;

beforeAll(async () => {
  platform = await startPlatform({ sandboxes: { idleMs: 600_000 } });
  const admin = new URL(inject('databaseUrl'));
  await platform.db.raw(`create role ${name} login password '${password}'`);
  await platform.db.raw(`create database ${name} owner ${name}`);
  url = `postgres://${name}:${encodeURIComponent(password)}@127.0.0.1:${admin.port}/${name}`;
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  await db.query(`
    create table customers (id serial primary key, name text not null, email text unique, created_at timestamptz default now());
    comment on table customers is 'People who buy';
    create table orders (id serial primary key, customer_id int not null references customers(id), total numeric(10,2) not null);
    create index orders_customer on orders (customer_id);
    create view customer_totals as select c.name, sum(o.total) as total from customers c join orders o on o.customer_id = c.id group by c.name;
    insert into customers (name, email) select 'customer ' || i, 'c' || i || '@example.com' from generate_series(1, 300) i;
    insert into orders (customer_id, total) values (1, 10.50), (1, 4.25), (2, 99.99);
  `);
  await db.end();
}, 180_000);
afterAll(async () => {
  await platform?.db.raw(`drop database if exists ${name} with (force)`);
  await platform?.db.raw(`drop role if exists ${name}`);
  await platform?.stop();
});

type ConnectedPostgres = Awaited<ReturnType<typeof connectedIntegration>>;

/** A healthy postgres server of `config` with `credential` (default the test's database) as its secret. */
const server = (config: Record<string, unknown> = {}, credential = url) =>
  connectedIntegration({ platform, integration: 'postgres', config, credential });

/** POST /v1/mcp-servers of a postgres server with `config`, in an org of its own: the API's answer. */
async function register(config: Record<string, unknown>) {
  const { adminKey } = await createOrg(platform.db, 'postgres refused');
  return call(`${platform.url}/v1/mcp-servers`, {
    method: 'POST',
    key: adminKey,
    json: { name: 'postgres', template: 'postgres', config },
  });
}

const ok = (inv: InvocationView) => {
  expect(inv.status, JSON.stringify(inv.error ?? inv.result)).toBe('succeeded');
  return inv.result!.structuredContent as Record<string, unknown>;
};

describe('a read-only postgres server (the default)', () => {
  let db: ConnectedPostgres;
  beforeAll(async () => {
    db = await server();
  }, 120_000);

  it('serves query, list_tables and describe_table, not execute', async () => {
    expect(db.tools).toEqual(['describe_table', 'list_tables', 'query']);
  });

  it('lists tables and views, and describes a table’s columns and keys', async () => {
    const listed = ok(await db.invoke('list_tables', {}));
    expect(listed.tables).toEqual([
      { schema: 'public', name: 'customer_totals', kind: 'view' },
      expect.objectContaining({ schema: 'public', name: 'customers', kind: 'table', comment: 'People who buy' }),
      expect.objectContaining({ schema: 'public', name: 'orders', kind: 'table' }),
    ]);
    expect(ok(await db.invoke('list_tables', { includeViews: false })).tables).toHaveLength(2);
    const orders = ok(await db.invoke('describe_table', { table: 'orders' }));
    expect(orders).toMatchObject({
      schema: 'public',
      name: 'orders',
      columns: [
        { name: 'id', type: 'integer', nullable: false, default: "nextval('orders_id_seq'::regclass)" },
        { name: 'customer_id', type: 'integer', nullable: false },
        { name: 'total', type: 'numeric(10,2)', nullable: false },
      ],
      primaryKey: ['id'],
      foreignKeys: [
        { columns: ['customer_id'], references: { schema: 'public', table: 'customers', columns: ['id'] } },
      ],
    });
    expect((orders.indexes as Array<{ name: string }>).map((i) => i.name)).toEqual(['orders_customer', 'orders_pkey']);
    expect(ok(await db.invoke('describe_table', { table: 'customers' }))).toMatchObject({
      uniqueConstraints: [{ name: 'customers_email_key', columns: ['email'] }],
    });
    expect(toolErrorOf(await db.invoke('describe_table', { table: 'nope' }))).toMatchObject({
      status: 404,
      code: 'undefined_table',
    });
  });

  it('runs a query with parameters and answers typed columns', async () => {
    const out = ok(
      await db.invoke('query', {
        sql: 'select c.id, name, total, created_at is not null as stamped from customers c join orders o on o.customer_id = c.id where c.id = $1 order by total',
        params: [1],
      }),
    );
    expect(out).toMatchObject({
      command: 'SELECT',
      columns: [
        { name: 'id', type: 'integer' },
        { name: 'name', type: 'text' },
        { name: 'total', type: 'numeric' },
        { name: 'stamped', type: 'boolean' },
      ],
      rows: [
        [1, 'customer 1', '4.25', true],
        [1, 'customer 1', '10.50', true],
      ],
      rowCount: 2,
      truncated: false,
    });
  });

  it('bounds the rows and the bytes an answer holds', async () => {
    const rows = ok(await db.invoke('query', { sql: 'select id from customers order by id', maxRows: 10 }));
    expect(rows).toMatchObject({ rowCount: null, truncated: true });
    expect(rows.rows).toEqual(Array.from({ length: 10 }, (_, i) => [i + 1]));
    expect(ok(await db.invoke('query', { sql: 'select id from customers' })).rows).toHaveLength(100);
    // 100 kB a row: the third would pass 256 KiB.
    const wide = ok(await db.invoke('query', { sql: "select repeat('x', 100000) from generate_series(1, 10)" }));
    expect(wide).toMatchObject({ truncated: true });
    expect(wide.rows).toHaveLength(2);
  });

  it('refuses a write through query, in one statement or hidden after another', async () => {
    expect(
      toolErrorOf(await db.invoke('query', { sql: "insert into customers (name) values ('mallory')" })),
    ).toMatchObject({
      vendor: 'PostgreSQL',
      status: 403,
      code: 'read_only_sql_transaction',
    });
    const two = toolErrorOf(await db.invoke('query', { sql: 'select 1; delete from orders' }));
    expect(two).toMatchObject({ status: 400 });
    expect(two.message).toMatch(/cannot insert multiple commands into a prepared statement/);
    expect(toolErrorOf(await db.invoke('query', { sql: 'commit; delete from orders' }))).toMatchObject({ status: 400 });
    expect(ok(await db.invoke('query', { sql: 'select count(*)::int from orders' })).rows).toEqual([[3]]);
    expect(
      ok(await db.invoke('query', { sql: "select count(*)::int from customers where name = 'mallory'" })).rows,
    ).toEqual([[0]]);
  });

  it('answers SQL errors with the condition and status', async () => {
    expect(toolErrorOf(await db.invoke('query', { sql: 'select * from missing_table' }))).toMatchObject({
      status: 404,
      code: 'undefined_table',
    });
    expect(toolErrorOf(await db.invoke('query', { sql: 'selec 1' }))).toMatchObject({
      status: 400,
      code: 'syntax_error_or_access_rule_violation',
    });
  });
});

describe('execute', () => {
  it('is refused in the config unless readOnly is false', async () => {
    const refused = await register({ tools: ['query', 'execute'] });
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatchObject({
      code: 'validation_error',
      details: {
        issues: [{ path: 'config.tools', message: expect.stringMatching(/served only with readOnly: false/) }],
      },
    });
    expect((await register({ tools: ['execute'], readOnly: true })).status).toBe(400);
  });

  it('writes with readOnly false and execute named, and what it wrote reads back', async () => {
    const db = await server({ readOnly: false, tools: ['query', 'execute'] });
    expect(db.tools).toEqual(['execute', 'query']);
    const inserted = ok(
      await db.invoke('execute', {
        sql: 'insert into customers (name, email) values ($1, $2) returning id, name',
        params: ['ada', 'ada@example.com'],
      }),
    );
    expect(inserted).toMatchObject({ command: 'INSERT', rowCount: 1, rows: [[301, 'ada']] });
    expect(ok(await db.invoke('query', { sql: "select email from customers where name = 'ada'" })).rows).toEqual([
      ['ada@example.com'],
    ]);
    expect(
      toolErrorOf(
        await db.invoke('execute', {
          sql: 'insert into customers (name, email) values ($1, $2)',
          params: ['x', 'ada@example.com'],
        }),
      ),
    ).toMatchObject({
      status: 409,
      code: 'unique_violation',
    });
    // A session setting a write made does not reach the next call.
    ok(await db.invoke('execute', { sql: 'set search_path to nowhere' }));
    expect(ok(await db.invoke('query', { sql: 'show search_path' })).rows).toEqual([['"$user", public']]);
  });
});

describe('a wrong credential', () => {
  it('a wrong password is a 401 naming PostgreSQL’s condition, without the password', async () => {
    const bad = `wrong-${randomBytes(8).toString('hex')}`;
    const db = await server({}, url.replace(encodeURIComponent(password), bad));
    const err = toolErrorOf(await db.invoke('query', { sql: 'select 1' }));
    expect(err).toMatchObject({ vendor: 'PostgreSQL', status: 401, code: 'invalid_password' });
    expect(err.message).toMatch(/rejected the credentials \(401\).*password authentication failed for user "pgint_/);
    expect(JSON.stringify(err)).not.toContain(bad);
  });

  it('a host the egress policy does not allow is refused by the proxy (403), never connected to', async () => {
    const db = await server({}, `postgres://${name}:${password}@10.255.255.1:5432/${name}`);
    const err = toolErrorOf(await db.invoke('list_tables', {}));
    expect(err).toMatchObject({ status: 403, code: 'egress_denied' });
    expect(JSON.stringify(err)).not.toContain(password);
  });

  it('a credential that is no connection URL is refused, not quoted', async () => {
    const db = await server({}, 'mysql://root:hunter2hunter2@db/x');
    const err = toolErrorOf(await db.invoke('query', { sql: 'select 1' }));
    expect(err).toMatchObject({ status: 401, code: 'invalid_credential' });
    expect(JSON.stringify(err)).not.toContain('hunter2');
  });
});

describe('the postgres emulated sandbox', () => {
  let rig: IntegrationRig;
  beforeAll(async () => {
    rig = await integrationRig({
      integration: 'postgres',
      mode: 'emulated',
      config: { readOnly: false, tools: ['query', 'list_tables', 'describe_table', 'execute'] },
      platform,
    });
  }, 240_000);

  it('is a scratch database of its own, seeded, whose login is an org secret and in no row', async () => {
    expect(rig.sandbox.endpoints.database).toMatch(/^postgres:\/\/127\.0\.0\.1:\d+\/sbx_[0-9a-f]{32}$/);
    const server = await platform.db('mcp_servers').where({ sandbox_id: rig.sandbox.id }).first();
    expect(server.env.COLLEXA_CREDENTIALS).toBe(`secret:sandbox.${rig.sandbox.id}`);
    const secrets = await platform.db('secrets').where({ org_id: rig.orgId, name: `sandbox.${rig.sandbox.id}` });
    expect(secrets).toHaveLength(1);
    const tables = rig.run('list_tables', {});
    expect((await tables).tables).toEqual([
      expect.objectContaining({ name: 'customers', comment: "The shop's customers" }),
      expect.objectContaining({ name: 'orders' }),
    ]);
    expect(await rig.run('describe_table', { table: 'orders' })).toMatchObject({
      foreignKeys: [{ columns: ['customer_id'], references: { table: 'customers', columns: ['id'] } }],
    });
    // The platform's own database is closed to it (EmulatorStore's lock-down).
    const platformDb = new URL(inject('databaseUrl')).pathname.slice(1);
    expect(
      (await rig.run('query', { sql: "select has_database_privilege($1, 'connect')", params: [platformDb] })).rows,
    ).toEqual([[false]]);
  });

  it('writes with execute (a sandbox is for that), reads it back, and reset restores the seed', async () => {
    expect(await rig.run('execute', { sql: "insert into customers (name) values ('Edsger Dijkstra')" })).toMatchObject({
      command: 'INSERT',
      rowCount: 1,
    });
    const count = async () => (await rig.run('query', { sql: 'select count(*)::int from customers' })).rows;
    expect(await count()).toEqual([[4]]);
    // Refused as a write, not by a foreign key (orders reference customers): a row no order holds.
    expect(
      toolErrorOf(await rig.invoke('query', { sql: "delete from customers where name = 'Edsger Dijkstra'" })),
    ).toMatchObject({ status: 403, code: 'read_only_sql_transaction' });
    expect(await count()).toEqual([[4]]);
    const reset = await call(`${platform.url}/v1/sandboxes/${rig.sandbox.id}/reset`, {
      method: 'POST',
      key: rig.developerKey,
    });
    expect(reset.status, reset.text).toBeLessThan(300);
    // The reset ended the server's connection: its next call opens another, and succeeds.
    expect(await count()).toEqual([[3]]);
  });

  it('leaves neither its database nor its secret behind when stopped', async () => {
    const stopped = await call(`${platform.url}/v1/sandboxes/${rig.sandbox.id}`, {
      method: 'DELETE',
      key: rig.developerKey,
    });
    expect(stopped.status, stopped.text).toBeLessThan(300);
    await waitFor(
      () => call(`${platform.url}/v1/sandboxes/${rig.sandbox.id}`, { key: rig.developerKey }).then((r) => r.json),
      (sb) => sb.endedAt !== null,
      { what: 'the sandbox to end', timeoutMs: 60_000 },
    );
    const name = `sbx_${rig.sandbox.id.replace(/-/g, '')}`;
    expect((await platform.db.raw('select 1 from pg_database where datname = ?', [name])).rows).toEqual([]);
    expect(await platform.db('secrets').where({ org_id: rig.orgId, name: `sandbox.${rig.sandbox.id}` })).toEqual([]);
  });
});
