/**
 * PostgreSQL errors that the same statement would raise again on every retry: data exceptions (SQLSTATE
 * class 22, e.g. 22021 a NUL byte in text, 22P05 \u0000 in jsonb, 22001 too long) and integrity constraint
 * violations (class 23: unique, foreign key, check, not null). Anything else (connection loss, serialization
 * failure, deadlock, a timeout) may pass on a retry.
 */
export interface PermanentDbError {
  sqlstate: string;
  kind: 'invalid_data' | 'constraint_violation';
  /** PostgreSQL's own message, without knex's copy of the SQL. */
  message: string;
  constraint?: string;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** The permanent PostgreSQL error behind `err` (pg's DatabaseError, as knex rethrows it), if it is one. */
export function permanentDbError(err: unknown): PermanentDbError | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; message?: unknown; severity?: unknown; constraint?: unknown };
  // pg sets severity on every server error; a Node system error (ECONNREFUSED) has a code but no severity.
  if (typeof e.code !== 'string' || !SQLSTATE.test(e.code) || typeof e.severity !== 'string') return undefined;
  const cls = e.code.slice(0, 2);
  if (cls !== '22' && cls !== '23') return undefined;
  const full = typeof e.message === 'string' ? e.message : '';
  return {
    sqlstate: e.code,
    kind: cls === '22' ? 'invalid_data' : 'constraint_violation',
    message: full.includes(' - ') ? full.slice(full.lastIndexOf(' - ') + 3) : full,
    ...(typeof e.constraint === 'string' ? { constraint: e.constraint } : {}),
  };
}
