import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';

/** A held concurrency slot; release it in a finally. */
export interface Lease {
  serverId: string;
  slot: number;
  holder: string;
}

/**
 * maxConcurrency per MCP server across every worker: a call holds one of the server's slots
 * (0 … max-1, rows of mcp_call_slots) for at most `leaseMs`, so a crashed worker's slot frees itself.
 * Taking a slot is one statement: insert into a free slot, or take over an expired one.
 */
export class ConcurrencyLimiter {
  constructor(private readonly db: Knex) {}

  /** A free slot, or undefined when all `max` are held. */
  async tryAcquire(serverId: string, max: number, leaseMs: number): Promise<Lease | undefined> {
    const holder = randomUUID();
    // Two callers may pick the same free slot; the loser gets no row back and simply tries again.
    const { rows } = await this.db.raw<{ rows: { slot: number }[] }>(
      `insert into mcp_call_slots as l (server_id, slot, holder, expires_at)
       select ?, pick.s, ?, now() + ?::float8 * interval '1 millisecond'
       from (select s from generate_series(0, ?::int - 1) s
             where not exists (select 1 from mcp_call_slots x where x.server_id = ? and x.slot = s and x.expires_at > now())
             order by random() limit 1) pick
       on conflict (server_id, slot) do update set holder = excluded.holder, expires_at = excluded.expires_at
         where l.expires_at <= now()
       returning slot`,
      [serverId, holder, leaseMs, max, serverId],
    );
    const slot = rows[0]?.slot;
    return slot === undefined ? undefined : { serverId, slot, holder };
  }

  async release(lease: Lease): Promise<void> {
    await this.db('mcp_call_slots')
      .where({ server_id: lease.serverId, slot: lease.slot, holder: lease.holder })
      .delete();
  }

  /** How many unexpired slots the server's calls hold now. */
  async inUse(serverId: string): Promise<number> {
    const row = await this.db('mcp_call_slots')
      .where({ server_id: serverId })
      .andWhere('expires_at', '>', this.db.fn.now())
      .count<{ n: string }[]>({ n: '*' })
      .first();
    return Number(row?.n ?? 0);
  }
}
