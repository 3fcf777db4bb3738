import type { Knex } from 'knex';

/** `denied_key`: invocations policy denies, per API key (its id). */
export type RateScope = 'server' | 'org' | 'denied_key';

/** A granted call, or how long to wait before one would be. */
export type RateVerdict = { granted: true } | { granted: false; retryAfterMs: number };

/**
 * Token buckets in PostgreSQL, shared by every process, as GCRA: a bucket stores one timestamp, its
 * "theoretical arrival time" (tat). Each call moves tat on by 1/rate s; a call is allowed while tat stays
 * within the burst window of now (burst = max(1, rate) calls, i.e. one second's worth). The check and the
 * move are one `insert … on conflict do update … where`, so concurrent callers never both take the last
 * token; time is the database's clock, the same for every worker.
 */
export class RateLimiter {
  constructor(private readonly db: Knex) {}

  async take(scope: RateScope, key: string, ratePerSecond: number): Promise<RateVerdict> {
    const { intervalMs, windowMs } = gcra(ratePerSecond);
    // clock_timestamp(), not now(): now() is when the statement's transaction began, before it waited for the
    // row lock, so of two concurrent takes the one that started first but got the lock second would judge
    // by an earlier time than the winner wrote, and be refused a token the burst still holds (retry after 1 ms).
    const { rows } = await this.db.raw<{ rows: unknown[] }>(
      `insert into rate_limits as r (scope, key, tat) values (?, ?, clock_timestamp() + ?::float8 * interval '1 millisecond')
       on conflict (scope, key) do update set tat = greatest(r.tat, clock_timestamp()) + ?::float8 * interval '1 millisecond'
         where greatest(r.tat, clock_timestamp()) + ?::float8 * interval '1 millisecond' <= clock_timestamp() + ?::float8 * interval '1 millisecond'
       returning 1`,
      [scope, key, intervalMs, intervalMs, intervalMs, windowMs],
    );
    if (rows.length > 0) return { granted: true };
    const ahead = await this.db.raw<{ rows: { ahead_ms: number }[] }>(
      `select extract(epoch from (greatest(tat, clock_timestamp()) - clock_timestamp())) * 1000 as ahead_ms from rate_limits where scope = ? and key = ?`,
      [scope, key],
    );
    return { granted: false, retryAfterMs: Math.max(1, Number(ahead.rows[0]?.ahead_ms ?? 0) + intervalMs - windowMs) };
  }

  /** Gives back a token taken by `take` (when a later check refused the call it was for). */
  async refund(scope: RateScope, key: string, ratePerSecond: number): Promise<void> {
    const { intervalMs } = gcra(ratePerSecond);
    await this.db.raw(
      `update rate_limits set tat = tat - ?::float8 * interval '1 millisecond' where scope = ? and key = ?`,
      [intervalMs, scope, key],
    );
  }
}

/** The GCRA parameters of a rate: the emission interval and the burst window, in ms. */
export function gcra(ratePerSecond: number): { intervalMs: number; windowMs: number } {
  const intervalMs = 1000 / ratePerSecond;
  return { intervalMs, windowMs: Math.max(1, ratePerSecond) * intervalMs };
}
