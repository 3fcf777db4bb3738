import type { Knex } from 'knex';
import type { BillingPrices } from '../config.js';

export const LEDGER_KINDS = ['tool_call', 'llm_call', 'sandbox_minutes', 'credit'] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];
export const USAGE_GROUPS = ['agent', 'capability', 'kind'] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

export interface LedgerEntryRow {
  id: string;
  org_id: string;
  kind: LedgerKind;
  source_id: string;
  agent_id: string | null;
  capability: string | null;
  quantity: string;
  amount_micros: string;
  currency: string;
  occurred_at: Date;
  created_at: Date;
  reported_at: Date | null;
}

export interface UsageLine {
  key: string | null;
  entries: number;
  quantity: number;
  amountMicros: number;
}

const GROUP_COLUMN: Record<UsageGroup, string> = { agent: 'agent_id', capability: 'capability', kind: 'kind' };

/**
 * cost_ledger: one entry per billable source (a succeeded tool call, an LLM call, a sandbox's minutes, a credit
 * purchase), written by insert-select from the sources and unique on (kind, source_id): collecting twice, or from
 * two processes at once, adds nothing.
 */
export class LedgerRepository {
  constructor(private readonly db: Knex) {}

  /** Writes the entries of every source since `since` not in the ledger yet (one org's, or every org's). */
  async collect(opts: { prices: BillingPrices; currency: string; since: Date; orgId?: string }): Promise<number> {
    const { prices, currency, since, orgId } = opts;
    const org = (alias: string) => (orgId ? this.db.raw(`and ${alias}.org_id = ?`, [orgId]) : this.db.raw('and true'));
    const sources = [
      // A tool call is billed once it succeeded (the MCP server did the work).
      this.db.raw(
        `select i.org_id, 'tool_call', i.id::text, i.agent_id, i.capability, 1, ?::bigint, ?, i.completed_at
         from invocations i where i.status = 'succeeded' and i.completed_at >= ? ?`,
        [prices.tool_call, currency, since, org('i')],
      ),
      // An LLM call that reached a provider (a cache hit spends no tokens); quantity is its tokens, its amount
      // the cost the gateway priced it at per model (LLM_PRICES, US dollars): one price table for tokens.
      this.db.raw(
        `select l.org_id, 'llm_call', l.id::text, null::uuid, l.purpose, l.input_tokens + l.output_tokens,
                round(l.cost_usd * 1000000)::bigint, ?, l.created_at
         from llm_calls l where l.status = 'ok' and not l.cache_hit and l.created_at >= ? ?`,
        [currency, since, org('l')],
      ),
      // A sandbox's minutes, recorded when it ended; part minutes are billed as started.
      this.db.raw(
        `select u.org_id, 'sandbox_minutes', u.subject_id::text, s.agent_id, null, u.quantity,
                ceil(u.quantity * ?)::bigint, ?, u.period_end
         from usage_records u left join sandboxes s on s.id = u.subject_id
         where u.kind = 'sandbox_minutes' and u.period_end >= ? ?`,
        [prices.sandbox_minute, currency, since, org('u')],
      ),
    ];
    let added = 0;
    for (const select of sources) {
      const r = await this.db.raw(
        `insert into cost_ledger (org_id, kind, source_id, agent_id, capability, quantity, amount_micros, currency, occurred_at)
         ? on conflict (kind, source_id) do nothing`,
        [select],
      );
      added += r.rowCount ?? 0;
    }
    return added;
  }

  /** A prepaid credit (a negative amount the usage draws down); never reported as usage. */
  addCredit(entry: { orgId: string; sourceId: string; amountMicros: number; currency: string }): Promise<boolean> {
    return this.creditEntry({ ...entry, amountMicros: -entry.amountMicros });
  }

  /** Credit given back (a refund): a positive credit entry, so the balance drops by it; never reported as usage. */
  withdrawCredit(entry: { orgId: string; sourceId: string; amountMicros: number; currency: string }): Promise<boolean> {
    return this.creditEntry(entry);
  }

  /** Removes a credit entry written by withdrawCredit whose refund Stripe refused. */
  async removeCredit(orgId: string, sourceId: string): Promise<void> {
    await this.db('cost_ledger').where({ org_id: orgId, kind: 'credit', source_id: sourceId }).delete();
  }

  private async creditEntry(entry: {
    orgId: string;
    sourceId: string;
    amountMicros: number;
    currency: string;
  }): Promise<boolean> {
    const rows = await this.db('cost_ledger')
      .insert({
        org_id: entry.orgId,
        kind: 'credit',
        source_id: entry.sourceId,
        quantity: 1,
        amount_micros: entry.amountMicros,
        currency: entry.currency,
        occurred_at: this.db.fn.now(),
        reported_at: this.db.fn.now(),
      })
      .onConflict(['kind', 'source_id'])
      .ignore()
      .returning('id');
    return rows.length > 0;
  }

  /** The org's usage in [from, to) summed by `groupBy` (credits are not usage). */
  async usage(orgId: string, from: Date, to: Date, groupBy: UsageGroup): Promise<UsageLine[]> {
    const col = GROUP_COLUMN[groupBy];
    const rows = await this.db('cost_ledger')
      .where({ org_id: orgId })
      .whereNot({ kind: 'credit' })
      .andWhere('occurred_at', '>=', from)
      .andWhere('occurred_at', '<', to)
      .groupBy(col)
      .orderBy(col)
      .select(
        this.db.raw(`${col}::text as key`),
        this.db.raw('count(*)::int as entries'),
        this.db.raw('sum(quantity)::float8 as quantity'),
        this.db.raw('sum(amount_micros)::bigint as amount'),
      );
    return rows.map((r) => ({ key: r.key, entries: r.entries, quantity: r.quantity, amountMicros: Number(r.amount) }));
  }

  /** What the org spent since `from` (usage only), and its credit balance (credits bought minus all usage). */
  async totals(orgId: string, from: Date): Promise<{ spentMicros: number; creditMicros: number }> {
    const row = await this.db('cost_ledger')
      .where({ org_id: orgId })
      .first(
        this.db.raw(
          "coalesce(sum(amount_micros) filter (where kind <> 'credit' and occurred_at >= ?), 0)::bigint as spent",
          [from],
        ),
        this.db.raw("coalesce(-sum(amount_micros) filter (where kind = 'credit'), 0)::bigint as credits"),
        this.db.raw("coalesce(sum(amount_micros) filter (where kind <> 'credit'), 0)::bigint as used"),
      );
    return { spentMicros: Number(row.spent), creditMicros: Math.max(0, Number(row.credits) - Number(row.used)) };
  }

  /** The oldest entries not yet reported to Stripe, of orgs that have a Stripe customer, with it. */
  unreported(limit: number): Promise<Array<LedgerEntryRow & { stripe_customer_id: string }>> {
    return this.db('cost_ledger as c')
      .join('billing_accounts as b', 'b.org_id', 'c.org_id')
      .whereNull('c.reported_at')
      .whereNotNull('b.stripe_customer_id')
      .orderBy('c.created_at')
      .limit(limit)
      .select('c.*', 'b.stripe_customer_id');
  }

  async markReported(id: string): Promise<void> {
    await this.db('cost_ledger').where({ id }).whereNull('reported_at').update({ reported_at: this.db.fn.now() });
  }
}
