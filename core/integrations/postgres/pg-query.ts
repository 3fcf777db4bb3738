/**
 * One statement on the extended protocol (so one statement only: `select 1; drop table t` is refused by
 * the server), its rows fetched a page at a time and no more than asked: at most `maxRows` rows and
 * about `maxBytes` of values cross the wire before the portal is left (the transaction's end closes it).
 */
import pg from 'pg';

// Rows per Execute: small enough that a page past the bounds costs little.
const PAGE = 50;

// Dates and times as PostgreSQL prints them (pg would turn a timestamp without zone into local time);
// bytea as its hex text (pg would make a Buffer, which serialises as an array of numbers).
const AS_TEXT = new Set([17, 1082, 1083, 1114, 1184, 1186, 1266]);
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    AS_TEXT.has(oid)
      ? (v: string) => v
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export interface QueryOutcome {
  command: string;
  rowCount: number | null;
  fields: Array<{ name: string; dataTypeID: number }>;
  rows: unknown[][];
  /** More rows (or bytes) than the bounds: what is here is the first of them. */
  truncated: boolean;
}

type Message = { fields: Array<string | null> };
type Connection = { sync(): void };
type QueryInternals = {
  handleDataRow(msg: Message): void;
  handlePortalSuspended(connection: Connection): void;
  handleCommandComplete(msg: unknown, connection: Connection): void;
  handleEmptyQuery(connection: Connection): void;
  handleError(err: unknown, connection: Connection): void;
};

/** Runs `sql` with `params` on `client`, bounded. */
export function boundedQuery(
  client: pg.Client,
  sql: string,
  params: unknown[],
  maxRows: number,
  maxBytes: number,
): Promise<QueryOutcome> {
  const query = new pg.Query({ text: sql, values: params, rowMode: 'array', rows: PAGE, types } as never);
  const internals = query as unknown as QueryInternals;
  const base = {
    row: internals.handleDataRow.bind(query),
    suspended: internals.handlePortalSuspended.bind(query),
    complete: internals.handleCommandComplete.bind(query),
    empty: internals.handleEmptyQuery.bind(query),
    error: internals.handleError.bind(query),
  };
  let kept = 0;
  let bytes = 0;
  let truncated = false;
  // Paged, pg sends Sync only once the portal is done (the base handlers below): an error before then
  // needs one too, or the server waits for it forever. Exactly one: a second would end the next query.
  let synced = false;
  const sync = (connection: Connection) => {
    synced = true;
    connection.sync();
  };
  internals.handleDataRow = (msg) => {
    if (truncated) return;
    const size = msg.fields.reduce((n, f) => n + (f === null ? 4 : Buffer.byteLength(f)), 0);
    // The first row is kept whatever its size: a bound that answers nothing would tell nothing.
    if (kept >= maxRows || (kept > 0 && bytes + size > maxBytes)) {
      truncated = true;
      return;
    }
    kept++;
    bytes += size;
    base.row(msg);
  };
  internals.handlePortalSuspended = (connection) => (truncated ? sync(connection) : base.suspended(connection));
  internals.handleCommandComplete = (msg, connection) => {
    synced = true;
    base.complete(msg, connection);
  };
  internals.handleEmptyQuery = (connection) => {
    synced = true;
    base.empty(connection);
  };
  internals.handleError = (err, connection) => {
    // Only the server's errors (a DatabaseError has a severity): pg syncs itself after a failed bind, and a
    // row it could not parse is reported at ReadyForQuery, after the sync.
    if (!synced && typeof (err as { severity?: unknown }).severity === 'string') sync(connection);
    base.error(err, connection);
  };
  return new Promise((resolve, reject) => {
    query.on('error', reject);
    query.on('end', (result) => {
      const r = result as unknown as pg.QueryArrayResult;
      resolve({
        command: r.command ?? '',
        rowCount: truncated ? null : r.rowCount,
        fields: (r.fields ?? []).map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })),
        rows: r.rows ?? [],
        truncated,
      });
    });
    client.query(query);
  });
}

/** The type names of `oids` (format_type), for the columns an answer describes. */
export async function typeNames(client: pg.Client, oids: number[]): Promise<Map<number, string>> {
  if (oids.length === 0) return new Map();
  const { rows } = await client.query<{ oid: number; name: string }>(
    'select oid::int4 as oid, format_type(oid, null) as name from pg_type where oid = any($1::oid[])',
    [[...new Set(oids)]],
  );
  return new Map(rows.map((r) => [r.oid, r.name]));
}
