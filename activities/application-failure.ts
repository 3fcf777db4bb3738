import { ApplicationFailure } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { permanentDbError } from '../core/db/pg-errors.js';
import { AppError } from '../core/errors.js';
import { LlmCallError } from '../core/llm/llm-errors.js';
import { TOOL_CALL_FAILURE_KINDS, type ToolCallFailure } from '../core/invocations/tool-call.js';

const RETRIED_KINDS = new Set<ToolCallFailure['kind']>(['limited', 'transient']);

const isToolCallFailure = (value: unknown): value is ToolCallFailure =>
  typeof value === 'object' &&
  value !== null &&
  !(value instanceof Error) &&
  TOOL_CALL_FAILURE_KINDS.has((value as { kind?: string }).kind ?? '');

/**
 * The one place activities tell Temporal what a failure means:
 * - an ApplicationFailure stays as it is;
 * - a tool call's failed outcome: `limited` is retried after the wait it names (benign: an expected wait,
 *   logged at debug level, not as a failed attempt), `transient` is retried, every other kind is final;
 * - an LLM provider's rate limit (`llm_rate_limited`, 429) is retried, after its Retry-After when it named one;
 * - an AppError with another 4xx status is a business rejection (a missing secret, a deleted row): final, typed
 *   by its code; a 5xx AppError (a dependency down) is retried;
 * - a PostgreSQL data error or constraint violation is final (`invalid_data` / `constraint_violation`), so a
 *   bad row ends the activity at once instead of being retried forever;
 * - anything else is rethrown unchanged and Temporal retries it (the database restarting, a lost connection).
 */
export function toApplicationFailure(failure: unknown): unknown {
  if (failure instanceof ApplicationFailure) return failure;
  if (isToolCallFailure(failure)) {
    const details = failure.kind === 'tool_error' ? undefined : [failure.details ?? {}];
    if (failure.kind === 'limited') {
      return ApplicationFailure.create({
        type: failure.code,
        message: failure.message,
        details,
        category: ApplicationFailureCategory.BENIGN,
        ...(failure.retryAfterMs === undefined ? {} : { nextRetryDelay: failure.retryAfterMs }),
      });
    }
    return ApplicationFailure.create({
      type: failure.code,
      message: failure.message,
      nonRetryable: !RETRIED_KINDS.has(failure.kind),
      details,
    });
  }
  if (failure instanceof LlmCallError && failure.code === 'llm_rate_limited') {
    const after = failure.details.retryAfterSeconds;
    return ApplicationFailure.create({
      type: failure.code,
      message: failure.message,
      details: [failure.details],
      cause: failure,
      ...(typeof after === 'number' ? { nextRetryDelay: after * 1000 } : {}),
    });
  }
  if (failure instanceof AppError) {
    return ApplicationFailure.create({
      type: failure.code,
      message: failure.message,
      nonRetryable: failure.httpStatus < 500,
      details: [failure.details ?? {}],
      cause: failure,
    });
  }
  const db = permanentDbError(failure);
  if (!db) return failure;
  return ApplicationFailure.create({
    type: db.kind,
    message: `PostgreSQL rejected the data (SQLSTATE ${db.sqlstate}): ${db.message}`,
    nonRetryable: true,
    details: [{ sqlstate: db.sqlstate, ...(db.constraint ? { constraint: db.constraint } : {}) }],
    cause: failure instanceof Error ? failure : undefined,
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
