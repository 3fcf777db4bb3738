import type { BillingConfig } from '../config.js';
import type { Db } from '../db/knex.js';
import { LedgerRepository } from '../db/ledger.repository.js';
import { notFound } from '../errors.js';
import { monthStart } from './month.js';
import { MICROS_PER_MINOR_UNIT } from './credits.js';

export interface BudgetVerdict {
  exceeded: boolean;
  /** The org's monthlyBudget in minor units, null when it has none. */
  budgetMinor: number | null;
  spentMicros: number;
}

/** The verdict for an org without a monthlyBudget (or a worker without billing): nothing is held. */
export const NO_BUDGET: BudgetVerdict = Object.freeze({ exceeded: false, budgetMinor: null, spentMicros: 0 });

/** Whether an org's month-to-date spend has passed its monthlyBudget (the ledger first brought up to date). */
export class BudgetGuard {
  private readonly ledger: LedgerRepository;
  constructor(
    private readonly db: Db,
    private readonly cfg: Pick<BillingConfig, 'prices' | 'currency'>,
  ) {
    this.ledger = new LedgerRepository(db);
  }

  async forInvocation(invocationId: string, now = new Date()): Promise<BudgetVerdict> {
    const row = await this.db('invocations as i')
      .join('organizations as o', 'o.id', 'i.org_id')
      .where('i.id', invocationId)
      .first('o.id', 'o.settings');
    if (!row) throw notFound('invocation', invocationId);
    return this.forOrg({ id: row.id, settings: row.settings }, now);
  }

  /** The verdict for an org whose settings the caller read already: no query at all when it has no budget. */
  async forOrg(org: { id: string; settings: unknown }, now = new Date()): Promise<BudgetVerdict> {
    const budget = (org.settings as { monthlyBudget?: unknown } | null)?.monthlyBudget;
    if (typeof budget !== 'number') return NO_BUDGET;
    const from = monthStart(now);
    await this.ledger.collect({ ...this.cfg, since: from, orgId: org.id });
    const { spentMicros } = await this.ledger.totals(org.id, from);
    return { exceeded: spentMicros >= budget * MICROS_PER_MINOR_UNIT, budgetMinor: budget, spentMicros };
  }
}
