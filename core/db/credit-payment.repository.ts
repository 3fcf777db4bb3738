import type { Knex } from 'knex';

export interface CreditPaymentRow {
  intent_id: string;
  org_id: string;
  amount: string;
  currency: string;
  status: string;
  refunded: string;
  created_at: Date;
  updated_at: Date;
}

/** credit_payments: the org's prepaid credit purchases, one row per Stripe payment intent. */
export class CreditPaymentRepository {
  constructor(private readonly db: Knex) {}

  /**
   * Records (or updates the status of) an intent the org created; false when the intent id is already another
   * org's, which Stripe never does (ids are unique) and a forged answer must not achieve.
   */
  async upsert(row: { intentId: string; orgId: string; amount: number; currency: string; status: string }) {
    const rows = await this.db('credit_payments')
      .insert({
        intent_id: row.intentId,
        org_id: row.orgId,
        amount: row.amount,
        currency: row.currency,
        status: row.status,
      })
      .onConflict('intent_id')
      .merge({ status: row.status, updated_at: this.db.fn.now() })
      .where('credit_payments.org_id', row.orgId)
      .returning('intent_id');
    return rows.length > 0;
  }

  /** The org's purchase by intent id, locked for the transaction when `forUpdate`. */
  find(orgId: string, intentId: string, opts: { forUpdate?: boolean } = {}): Promise<CreditPaymentRow | undefined> {
    const q = this.db<CreditPaymentRow>('credit_payments').where({ org_id: orgId, intent_id: intentId });
    return (opts.forUpdate ? q.forUpdate() : q).first();
  }

  async setStatus(intentId: string, status: string): Promise<void> {
    await this.db('credit_payments').where({ intent_id: intentId }).update({ status, updated_at: this.db.fn.now() });
  }

  /** Adds `delta` (negative to give back) to what was refunded; the table's check keeps it within the amount. */
  async addRefunded(intentId: string, delta: number): Promise<void> {
    await this.db('credit_payments')
      .where({ intent_id: intentId })
      .update({ refunded: this.db.raw('refunded + ?', [delta]), updated_at: this.db.fn.now() });
  }
}
