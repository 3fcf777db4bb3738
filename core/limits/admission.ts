import type { Knex } from 'knex';
import { InvocationRepository } from '../db/invocation.repository.js';
import type { McpServerRow } from '../db/rows.js';
import { DENIED_RATE_PER_SECOND, effectiveLimits } from './defaults.js';
import { ExecutionLimits } from './execution-limits.js';
import { LimitExceeded } from './limit-exceeded.js';
import { platformMetrics } from '../metrics/platform-metrics.js';

/**
 * The door's check before an invocation is recorded and started: an open breaker answers 503
 * circuit_open, a spent rate bucket 429 rate_limited, both with Retry-After. A replay of an idempotency
 * key already recorded is not a new call and takes nothing. A call policy will deny takes nothing from the
 * server or org (so denials cannot starve anyone else) but a token of its API key's denied bucket.
 */
export class InvocationAdmission {
  private readonly limits: ExecutionLimits;

  constructor(private readonly db: Knex) {
    this.limits = new ExecutionLimits(db);
  }

  /**
   * True when the server's rate tokens were taken (the invocation records it); throws an AppError when
   * refused. `deniedFor`: the API key of a call policy denies.
   */
  async admit(server: McpServerRow, idempotencyKey: string | null, deniedFor?: string): Promise<boolean> {
    if (
      idempotencyKey !== null &&
      (await new InvocationRepository(this.db).hasIdempotencyKey(server.org_id, idempotencyKey))
    )
      return false;
    try {
      if (deniedFor !== undefined) {
        const own = await this.limits.rates.take('denied_key', deniedFor, DENIED_RATE_PER_SECOND);
        if (!own.granted) throw LimitExceeded.deniedRate(server.name, DENIED_RATE_PER_SECOND, own.retryAfterMs);
        return false;
      }
      await this.limits.admitRequest(server, effectiveLimits(server));
      return true;
    } catch (err) {
      if (!(err instanceof LimitExceeded)) throw err;
      platformMetrics.limitRejected(err.code, 'door');
      throw err.toAppError();
    }
  }
}
