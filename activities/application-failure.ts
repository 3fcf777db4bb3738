import { ApplicationFailure } from '@temporalio/activity';
import { permanentDbError } from '../core/db/pg-errors.js';

/**
 * The one place activities map an error to what Temporal should do with it. An ApplicationFailure stays as
 * it is (the activity already decided); a PostgreSQL data error or constraint violation becomes a
 * non-retryable failure of type `invalid_data` / `constraint_violation`, so a bad row (a NUL byte in a
 * comment, say) ends the activity at once instead of being retried forever. Anything else is rethrown
 * unchanged and Temporal retries it (transient: the database restarting, a lost connection).
 */
export function toApplicationFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  const db = permanentDbError(err);
  if (!db) return err;
  return ApplicationFailure.create({
    type: db.kind,
    message: `PostgreSQL rejected the data (SQLSTATE ${db.sqlstate}): ${db.message}`,
    nonRetryable: true,
    details: [{ sqlstate: db.sqlstate, ...(db.constraint ? { constraint: db.constraint } : {}) }],
    cause: err instanceof Error ? err : undefined,
  });
}

type AnyFn = (...args: never[]) => Promise<unknown>;

/** Every activity of `activities`, with its errors passed through toApplicationFailure. */
export function withFailureMapping<T extends Record<string, AnyFn>>(activities: T): T {
  const wrapped: Record<string, AnyFn> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw toApplicationFailure(err);
      }
    };
  }
  return wrapped as T;
}
