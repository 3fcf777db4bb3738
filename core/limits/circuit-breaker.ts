import type { Knex } from 'knex';
import type { McpFailureKind } from '../mcp/call-error.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

/** A server's breaker as stored (no row: closed, no failures). */
export interface BreakerRow {
  state: BreakerState;
  consecutive_failures: number;
  opened_at: Date | string | null;
  probe_started_at: Date | string | null;
}

export interface BreakerSettings {
  breakerThreshold: number;
  breakerCooldownMs: number;
  /** How long a half-open probe may run before another caller may probe instead (its worker may have died). */
  probeLeaseMs: number;
}

/**
 * What a server failing behind an answer is: the vendor an integration fronts rate-limited it (429) or
 * failed (5xx). It says the server is unwell, like a lost connection, though the server itself answered.
 */
export type VendorFailure = 'vendor_failure';

/** Failures that say the server is unwell; a tool error or rejected arguments say nothing about it. */
export const BREAKER_FAILURE_KINDS: ReadonlySet<McpFailureKind | VendorFailure> = new Set([
  'connect',
  'timeout',
  'disconnected',
  'protocol',
  'vendor_failure',
]);

const CLOSED: BreakerRow = { state: 'closed', consecutive_failures: 0, opened_at: null, probe_started_at: null };
const ms = (d: Date | string | null) => (d === null ? 0 : new Date(d).getTime());

/** When the next call may be tried (null: now): the end of the cooldown, or of a running probe's lease. */
export function breakerRetryAt(row: BreakerRow, s: BreakerSettings): Date | null {
  if (row.state === 'open') return new Date(ms(row.opened_at) + s.breakerCooldownMs);
  if (row.state === 'half_open') return new Date(ms(row.probe_started_at) + s.probeLeaseMs);
  return null;
}

/** Milliseconds until a call may be tried at `now` (0: it may go now). */
export function breakerWaitMs(row: BreakerRow, s: BreakerSettings, now: Date): number {
  const at = breakerRetryAt(row, s);
  return at === null ? 0 : Math.max(0, at.getTime() - now.getTime());
}

/**
 * Circuit breakers per MCP server, in PostgreSQL so every worker sees one state: closed → open after
 * `breakerThreshold` consecutive server failures → after `breakerCooldownMs` one caller claims the single
 * half-open probe (atomically) → closed on its success, open again on its failure.
 */
export class CircuitBreakers {
  constructor(private readonly db: Knex) {}

  /** The stored state and the database's clock. */
  async read(serverId: string): Promise<{ row: BreakerRow; now: Date }> {
    const { rows } = await this.db.raw<{ rows: (BreakerRow & { now: Date })[] }>(
      `select b.state, b.consecutive_failures, b.opened_at, b.probe_started_at, now() as now
       from (select 1) one left join mcp_server_breakers b on b.server_id = ?`,
      [serverId],
    );
    const r = rows[0]!;
    return {
      row: r.state
        ? {
            state: r.state,
            consecutive_failures: r.consecutive_failures,
            opened_at: r.opened_at,
            probe_started_at: r.probe_started_at,
          }
        : CLOSED,
      now: new Date(r.now),
    };
  }

  /**
   * Before a call: `probe` when this caller claimed the half-open probe (its outcome decides the state);
   * otherwise the state as it was, with the wait before a call may be tried.
   */
  async admit(
    serverId: string,
    s: BreakerSettings,
  ): Promise<{ allowed: true; probe: boolean; row: BreakerRow } | { allowed: false; row: BreakerRow; waitMs: number }> {
    const { rows } = await this.db.raw<{ rows: (BreakerRow & { probe: boolean; now: Date })[] }>(
      `with claimed as (
         update mcp_server_breakers b set state = 'half_open', probe_started_at = now(), updated_at = now()
         where b.server_id = ? and (
           (b.state = 'open' and b.opened_at <= now() - ?::float8 * interval '1 millisecond')
           or (b.state = 'half_open' and b.probe_started_at <= now() - ?::float8 * interval '1 millisecond'))
         returning b.state, b.consecutive_failures, b.opened_at, b.probe_started_at)
       select state, consecutive_failures, opened_at, probe_started_at, true as probe, now() as now from claimed
       union all
       select state, consecutive_failures, opened_at, probe_started_at, false, now() from mcp_server_breakers
       where server_id = ? and not exists (select 1 from claimed)`,
      [serverId, s.breakerCooldownMs, s.probeLeaseMs, serverId],
    );
    const r = rows[0];
    if (!r || r.state === 'closed') return { allowed: true, probe: false, row: r ?? CLOSED };
    if (r.probe) return { allowed: true, probe: true, row: r };
    // Open or probing, and not ours. A zero wait means another caller claimed the probe a moment ago.
    return { allowed: false, row: r, waitMs: Math.max(breakerWaitMs(r, s, new Date(r.now)), 1000) };
  }

  /** A server failure: counts towards the threshold; opens the breaker at it, and re-opens a failed probe. */
  async recordFailure(serverId: string, threshold: number): Promise<{ row: BreakerRow; opened: boolean }> {
    const { rows } = await this.db.raw<{ rows: (BreakerRow & { opened: boolean })[] }>(
      `insert into mcp_server_breakers as b (server_id, state, consecutive_failures, opened_at)
       values (?, case when 1 >= ?::int then 'open' else 'closed' end, 1, case when 1 >= ?::int then now() end)
       on conflict (server_id) do update set
         consecutive_failures = b.consecutive_failures + 1,
         state = case when b.state = 'half_open' or b.consecutive_failures + 1 >= ?::int then 'open' else b.state end,
         opened_at = case when b.state = 'half_open' or (b.state = 'closed' and b.consecutive_failures + 1 >= ?::int) then now() else b.opened_at end,
         probe_started_at = null,
         updated_at = now()
       returning state, consecutive_failures, opened_at, probe_started_at, (state = 'open' and opened_at = now()) as opened`,
      [serverId, threshold, threshold, threshold, threshold],
    );
    const { opened, ...row } = rows[0]!;
    return { row, opened };
  }

  /** A call the server answered: closes the breaker and resets the count. True when it was not closed. */
  async recordSuccess(serverId: string): Promise<boolean> {
    const { rows } = await this.db.raw<{ rows: { was_open: boolean }[] }>(
      `update mcp_server_breakers b set state = 'closed', consecutive_failures = 0, opened_at = null, probe_started_at = null, updated_at = now()
       from (select server_id, state <> 'closed' as was_open from mcp_server_breakers
             where server_id = ? and (state <> 'closed' or consecutive_failures > 0) for update) old
       where b.server_id = old.server_id
       returning old.was_open`,
      [serverId],
    );
    return rows[0]?.was_open === true;
  }

  /** Gives back a claimed probe that was not made (another limit refused the call): open again, cooldown over. */
  async releaseProbe(serverId: string): Promise<void> {
    await this.db('mcp_server_breakers')
      .where({ server_id: serverId, state: 'half_open' })
      .update({ state: 'open', probe_started_at: null, updated_at: this.db.fn.now() });
  }
}
