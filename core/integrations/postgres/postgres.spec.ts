import { objectSchema, type IntegrationSpec, type JsonSchema } from '../integration.js';

/** Bounds of an answer: rows and bytes of values (the platform's result limit is 1 MiB at level high). */
export const MAX_ROWS = 1000;
export const DEFAULT_ROWS = 100;
export const MAX_RESULT_BYTES = 256 * 1024;
export const STATEMENT_TIMEOUT_MS = 15_000;

/** The scratch database a sandbox starts from: a small shop, so every tool has something to read. */
const SANDBOX_SEED_SQL = `
create table customers (id serial primary key, name text not null, email text unique, created_at timestamptz not null default now());
comment on table customers is 'The shop''s customers';
create table orders (
  id serial primary key,
  customer_id int not null references customers(id),
  total numeric(10,2) not null,
  status text not null default 'open' check (status in ('open', 'paid', 'refunded'))
);
create index orders_customer on orders (customer_id);
insert into customers (name, email) values
  ('Ada Lovelace', 'ada@example.com'), ('Grace Hopper', 'grace@example.com'), ('Alan Turing', 'alan@example.com');
insert into orders (customer_id, total, status) values (1, 120.00, 'paid'), (1, 35.50, 'open'), (2, 9.99, 'refunded');
`;

const sql: JsonSchema = { type: 'string', minLength: 1, maxLength: 100_000, description: 'One SQL statement.' };
const params: JsonSchema = {
  type: 'array',
  maxItems: 100,
  items: { type: ['string', 'number', 'boolean', 'null'], maxLength: 65_536 },
  description: 'Values of $1, $2, … in the statement (always pass values this way, never spliced into the SQL).',
};
const name: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 63,
  description: 'A name as the catalog holds it (case matters).',
};

/**
 * PostgreSQL: one database for an agent, read-only unless the admin says otherwise. `execute` is the one
 * tool that writes; a server serves it only when its config says readOnly: false and names it in tools
 * (a sandbox's server serves it always: its database is a scratch one of its own).
 */
export const postgresSpec: IntegrationSpec = {
  name: 'postgres',
  securityLevel: 'high',
  title: 'PostgreSQL',
  description:
    'One PostgreSQL database: read-only SQL queries, its tables and their columns, keys and indexes; writes only when the server is configured to allow them.',
  api: 'the PostgreSQL wire protocol (node-postgres), each call one statement in its own transaction, through the egress proxy (HTTP CONNECT)',
  credentials: {
    kind: 'connection URL',
    format:
      'postgres://user:password@host:5432/database?sslmode=require (sslmode: disable (default), require, verify-full), or JSON {"host", "port", "user", "password", "database", "sslmode"}; the host must be allowed by EGRESS_ALLOW. Give a role with only the grants the agent needs: read-only transactions are a guard, the grants are the boundary.',
    docs: 'https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING-URIS',
  },
  config: {
    readOnly: {
      description:
        'false lets the server serve execute (name it in tools too); every other tool reads in a read-only transaction anyway. A sandbox’s scratch database takes writes whatever this says.',
      required: false,
      default: 'true',
      type: 'boolean',
    },
  },
  // The database: in connected mode the credential's host (the egress proxy checks its address), so no URL here.
  services: ['database'],
  tools: [
    {
      name: 'query',
      title: 'Run a read-only SQL query',
      description: `Runs one SQL statement (SELECT, WITH, EXPLAIN, SHOW…) in a READ ONLY transaction that is rolled back, with a ${STATEMENT_TIMEOUT_MS / 1000} s statement timeout. Answers the columns (name, type) and the rows as arrays, at most maxRows (default ${DEFAULT_ROWS}, at most ${MAX_ROWS}) and about ${MAX_RESULT_BYTES / 1024} KiB of values; truncated says more were left. A write is refused (read_only_sql_transaction). Pass values as params ($1, $2…).`,
      inputSchema: objectSchema(
        {
          sql,
          params,
          maxRows: { type: 'integer', minimum: 1, maximum: MAX_ROWS, description: 'At most this many rows.' },
        },
        ['sql'],
      ),
      annotations: { title: 'Run a read-only SQL query', readOnlyHint: true, openWorldHint: true },
    },
    {
      name: 'list_tables',
      title: 'List tables',
      description:
        'Lists the tables (and with includeViews, views and materialized views) the role can see, outside the system schemas: schema, name, kind, estimated row count, comment.',
      inputSchema: objectSchema(
        {
          schema: { ...name, description: 'Only this schema (default all).' },
          includeViews: { type: 'boolean', description: 'Views too (default true).' },
        },
        [],
      ),
      annotations: { title: 'List tables', readOnlyHint: true, openWorldHint: true },
    },
    {
      name: 'describe_table',
      title: 'Describe a table',
      description:
        'Describes a table or view: its columns (name, type, nullable, default, comment), primary key, unique constraints, foreign keys (with what they reference) and indexes.',
      inputSchema: objectSchema({ table: name, schema: { ...name, description: 'Its schema (default public).' } }, [
        'table',
      ]),
      annotations: { title: 'Describe a table', readOnlyHint: true, openWorldHint: true },
    },
    {
      name: 'execute',
      title: 'Execute a SQL write',
      description: `Executes one SQL statement that changes the database (INSERT, UPDATE, DELETE, DDL) in its own transaction, committed when it succeeds, with a ${STATEMENT_TIMEOUT_MS / 1000} s statement timeout. Answers the command, the rows affected and any RETURNING rows (at most ${DEFAULT_ROWS}). Pass values as params ($1, $2…).`,
      inputSchema: objectSchema({ sql, params }, ['sql']),
      annotations: { title: 'Execute a SQL write', readOnlyHint: false, destructiveHint: true, openWorldHint: true },
    },
  ],
  defaultTools: ['query', 'list_tables', 'describe_table'],
  checkConfig: ({ tools, options }) =>
    tools?.includes('execute') && options.readOnly !== false
      ? [{ path: ['tools'], message: 'execute writes to the database: it is served only with readOnly: false' }]
      : [],
  sandbox: {
    target: 'postgres',
    // The scratch database's own login replaces it (sandbox-host.ts), so there is no stand-in.
    credential: '',
    modes: { emulated: { database: { kind: 'postgres' } } },
    emulators: {
      emulated:
        'a scratch database of its own in the platform’s PostgreSQL (its own role, nothing else reachable), seeded with a small shop (customers, orders); reset restores the seed',
    },
    seedSql: SANDBOX_SEED_SQL,
  },
  connectedEndpoints: () => ({}),
};
