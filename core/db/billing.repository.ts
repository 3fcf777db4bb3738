import type { Knex } from 'knex';
import { newestFirst, type Page } from './page.js';

export const BILLING_EVENT_STATUSES = ['received', 'applied', 'stale', 'parked', 'unmatched', 'unknown_type'] as const;
export type BillingEventStatus = (typeof BILLING_EVENT_STATUSES)[number];

export interface BillingAccountRow {
  org_id: string;
  stripe_customer_id: string | null;
  plan: string | null;
  subscription_id: string | null;
  subscription_status: string | null;
  current_period_start: Date | null;
  current_period_end: Date | null;
  subscription_version: string;
  updated_at: Date;
}

export interface BillingEventRow {
  id: string;
  seq: string;
  stripe_event_id: string;
  org_id: string | null;
  type: string;
  status: BillingEventStatus;
  amount: string | null;
  currency: string | null;
  stripe_object_id: string | null;
  stripe_customer_id: string | null;
  metadata: Record<string, string>;
  object: Record<string, unknown>;
  error: string | null;
  attempts: number;
  stripe_created_at: Date;
  received_at: Date;
  processed_at: Date | null;
}

export type NewBillingEvent = Pick<
  BillingEventRow,
  | 'stripe_event_id'
  | 'org_id'
  | 'type'
  | 'status'
  | 'amount'
  | 'currency'
  | 'stripe_object_id'
  | 'stripe_customer_id'
  | 'metadata'
  | 'object'
  | 'stripe_created_at'
>;

export type SubscriptionState = Pick<
  BillingAccountRow,
  'plan' | 'subscription_id' | 'subscription_status' | 'current_period_start' | 'current_period_end'
>;

/** billing_accounts and billing_events: written by the webhook door and the billing workflow's activities. */
export class BillingRepository {
  constructor(private readonly db: Knex) {}

  account(orgId: string): Promise<BillingAccountRow | undefined> {
    return this.db<BillingAccountRow>('billing_accounts').where({ org_id: orgId }).first();
  }

  async orgOfCustomer(customerId: string): Promise<string | undefined> {
    const row = await this.db<BillingAccountRow>('billing_accounts').where({ stripe_customer_id: customerId }).first();
    return row?.org_id;
  }

  async orgExists(orgId: string): Promise<boolean> {
    return (await this.db('organizations').where({ id: orgId }).first('id')) !== undefined;
  }

  /** Records the org's customer once; a second caller keeps the first id (returned). */
  async linkCustomer(orgId: string, customerId: string): Promise<string> {
    await this.db('billing_accounts')
      .insert({ org_id: orgId, stripe_customer_id: customerId })
      .onConflict('org_id')
      .merge({
        stripe_customer_id: this.db.raw('coalesce(billing_accounts.stripe_customer_id, excluded.stripe_customer_id)'),
      });
    return (await this.account(orgId))!.stripe_customer_id!;
  }

  /**
   * Applies a subscription's state if `version` (the event's `created`) is not older than the newest applied:
   * false when it is, so a late delivery never moves the state back. One statement, safe under races.
   */
  async applySubscription(orgId: string, version: number, state: SubscriptionState): Promise<boolean> {
    const row = { ...state, subscription_version: version, updated_at: this.db.fn.now() };
    const done = await this.db('billing_accounts')
      .insert({ org_id: orgId, ...row })
      .onConflict('org_id')
      .merge(row)
      .where('billing_accounts.subscription_version', '<=', version)
      .returning('org_id');
    return done.length > 0;
  }

  /** Inserts the event unless its Stripe id is known: undefined for a redelivery (the first row stays). */
  async insertEvent(row: NewBillingEvent): Promise<BillingEventRow | undefined> {
    const [inserted] = await this.db<BillingEventRow>('billing_events')
      .insert({ ...row, metadata: JSON.stringify(row.metadata) as never, object: JSON.stringify(row.object) as never })
      .onConflict('stripe_event_id')
      .ignore()
      .returning('*');
    return inserted;
  }

  eventByStripeId(stripeEventId: string): Promise<BillingEventRow | undefined> {
    return this.db<BillingEventRow>('billing_events').where({ stripe_event_id: stripeEventId }).first();
  }

  event(id: string): Promise<BillingEventRow | undefined> {
    return this.db<BillingEventRow>('billing_events').where({ id }).first();
  }

  /** Closes a received event (applied, stale or parked); a closed one stays as it is. */
  async finish(id: string, status: 'applied' | 'stale' | 'parked', error: string | null = null): Promise<boolean> {
    const n = await this.db('billing_events')
      .where({ id, status: 'received' })
      .update({ status, error, processed_at: this.db.fn.now() });
    return n > 0;
  }

  async countAttempt(id: string, error: string): Promise<void> {
    await this.db('billing_events')
      .where({ id })
      .update({ attempts: this.db.raw('attempts + 1'), error });
  }

  /** The org's events newest first; `status` narrows (e.g. parked). */
  events(
    orgId: string,
    opts: { limit: number; cursor?: string; status?: BillingEventStatus },
  ): Promise<Page<BillingEventRow>> {
    const q = this.db('billing_events').where({ org_id: orgId });
    if (opts.status) q.andWhere({ status: opts.status });
    return newestFirst<BillingEventRow>(q.select('*'), 'seq', opts.limit, opts.cursor);
  }

  /** Events no org claimed, for operators. */
  unmatched(opts: { limit: number; cursor?: string }): Promise<Page<BillingEventRow>> {
    const q = this.db('billing_events').whereNull('org_id').select('*');
    return newestFirst<BillingEventRow>(q, 'seq', opts.limit, opts.cursor);
  }
}
