/**
 * PostgreSQL's errors as tool errors: the SQLSTATE (https://www.postgresql.org/docs/current/errcodes-appendix.html)
 * read as an HTTP status the platform understands (401 a refused login, 403 a missing privilege or a write
 * in a read-only transaction, 404 a missing table or database, 409 a conflict, 429/503 an overloaded or
 * unreachable server) and its condition name as the code; the message is the server's own words, which
 * never hold the password.
 */
import { statusMeaning, VendorError } from '../server/vendor-error.js';
import { VENDOR } from './pg-credential.js';

// Exact SQLSTATEs first, then classes (the first two characters).
const BY_STATE: Record<string, [number, string]> = {
  '28P01': [401, 'invalid_password'],
  '28000': [401, 'invalid_authorization_specification'],
  '42501': [403, 'insufficient_privilege'],
  '25006': [403, 'read_only_sql_transaction'],
  '3D000': [404, 'invalid_catalog_name'],
  '3F000': [404, 'invalid_schema_name'],
  '42P01': [404, 'undefined_table'],
  '42883': [404, 'undefined_function'],
  '23505': [409, 'unique_violation'],
  '23503': [409, 'foreign_key_violation'],
  '40001': [409, 'serialization_failure'],
  '40P01': [409, 'deadlock_detected'],
  '55P03': [409, 'lock_not_available'],
  '57014': [408, 'query_canceled'],
  '53300': [429, 'too_many_connections'],
  '57P01': [503, 'admin_shutdown'],
  '57P03': [503, 'cannot_connect_now'],
};
const BY_CLASS: Record<string, [number, string]> = {
  '08': [503, 'connection_exception'],
  '22': [400, 'data_exception'],
  '23': [409, 'integrity_constraint_violation'],
  '25': [400, 'invalid_transaction_state'],
  '42': [400, 'syntax_error_or_access_rule_violation'],
  '53': [503, 'insufficient_resources'],
  '54': [400, 'program_limit_exceeded'],
  '57': [503, 'operator_intervention'],
  '58': [503, 'system_error'],
  XX: [500, 'internal_error'],
};

const own = <T>(map: Record<string, T>, key: string) => (Object.hasOwn(map, key) ? map[key] : undefined);

/** The status and condition name of a SQLSTATE. */
export function sqlState(state: string): { status: number; code: string } {
  const [status, code] = own(BY_STATE, state) ?? own(BY_CLASS, state.slice(0, 2)) ?? [400, `sqlstate_${state}`];
  return { status, code };
}

// Node's socket errors: the server is not there (or not reachable), not a refusal of the request.
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE']);

/** Any failure of a database call as a VendorError (one already is one stays as it is). */
export function pgError(err: unknown): VendorError {
  if (err instanceof VendorError) return err;
  const e = err as { code?: unknown; message?: unknown; hint?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) {
    const { status, code } = sqlState(e.code);
    const hint = typeof e.hint === 'string' ? ` (hint: ${e.hint})` : '';
    const what =
      code === 'query_canceled'
        ? `${VENDOR} cancelled the statement (408: its time ran out)`
        : statusMeaning(VENDOR, status);
    return new VendorError(VENDOR, status, code, `${what}: ${message}${hint}`);
  }
  if ((typeof e?.code === 'string' && NETWORK.has(e.code)) || /timeout|terminated|Connection/i.test(message))
    return new VendorError(VENDOR, 503, 'unreachable', `${VENDOR} could not be reached: ${message}`);
  return new VendorError(VENDOR, 500, 'client_error', `${VENDOR}: ${message}`);
}
