import type pg from 'pg';
import type { IntegrationHandlers, IntegrationSettings, ToolHandler } from '../server/handler.js';
import { VendorError } from '../server/vendor-error.js';
import { describeTable, listTables } from './pg-catalog.js';
import { parsePgCredential, pgSecrets, VENDOR } from './pg-credential.js';
import { boundedQuery, typeNames, type QueryOutcome } from './pg-query.js';
import { PgSession } from './pg-session.js';
import { DEFAULT_ROWS, MAX_RESULT_BYTES, MAX_ROWS, postgresSpec, STATEMENT_TIMEOUT_MS } from './postgres.spec.js';

interface PgServer {
  session: PgSession;
  settings: IntegrationSettings;
}

/** The answer of a statement: its columns with their types, its rows, and whether the bounds cut it. */
async function answer(client: pg.Client, out: QueryOutcome) {
  const names = await typeNames(
    client,
    out.fields.map((f) => f.dataTypeID),
  );
  return {
    // A statement left before its end (truncated) has no command tag.
    ...(out.command ? { command: out.command } : {}),
    columns: out.fields.map((f) => ({ name: f.name, type: names.get(f.dataTypeID) ?? `oid ${f.dataTypeID}` })),
    rows: out.rows,
    rowCount: out.rowCount,
    truncated: out.truncated,
  };
}

const paramsOf = (args: Record<string, unknown>) => (Array.isArray(args.params) ? args.params : []);

const query: ToolHandler<PgServer> = async (args, { client, signal }) => {
  const maxRows = Math.min((args.maxRows as number | undefined) ?? DEFAULT_ROWS, MAX_ROWS);
  return client.session.read(
    async (c) => answer(c, await boundedQuery(c, String(args.sql), paramsOf(args), maxRows, MAX_RESULT_BYTES)),
    signal,
  );
};

const execute: ToolHandler<PgServer> = async (args, { client, signal }) => {
  // The catalog serves execute only with readOnly false; this holds even if a server was made otherwise.
  // A sandbox's database is its own scratch one: writing there is what it is for.
  if (client.settings.options.readOnly !== false && !client.settings.sandbox)
    throw new VendorError(
      VENDOR,
      403,
      'read_only',
      `${VENDOR}: this server is read-only (config.readOnly is not false)`,
    );
  return client.session.write(
    async (c) => answer(c, await boundedQuery(c, String(args.sql), paramsOf(args), DEFAULT_ROWS, MAX_RESULT_BYTES)),
    signal,
  );
};

/** The postgres integration's runtime: one session per server, each call a transaction of its own. */
export const postgresHandlers: IntegrationHandlers<PgServer> = {
  spec: postgresSpec,
  connect: (settings, credential) => ({
    session: new PgSession(parsePgCredential(credential), { statementTimeoutMs: STATEMENT_TIMEOUT_MS }),
    settings,
  }),
  secretsOf: pgSecrets,
  // JSON credentials: the host, port, user and database are what error messages name.
  publicCredentialFields: ['host', 'port', 'user', 'database', 'sslmode'],
  close: (client) => client.session.close(),
  tools: {
    query,
    list_tables: (args, { client }) =>
      client.session.read((c) => listTables(c, args.schema as string | undefined, args.includeViews !== false)),
    describe_table: (args, { client }) =>
      client.session.read((c) => describeTable(c, (args.schema as string | undefined) ?? 'public', String(args.table))),
    execute,
  },
};
