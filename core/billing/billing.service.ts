import type Stripe from 'stripe';
import { auditEvent, type Actor } from '../identity/actor.js';
import { AuditRepository } from '../db/audit.repository.js';
import {
  BillingRepository,
  type BillingAccountRow,
  type BillingEventRow,
  type BillingEventStatus,
} from '../db/billing.repository.js';
import type { Db } from '../db/knex.js';
import type { Page } from '../db/page.js';
import { AppError } from '../errors.js';

/** An org's billing as the API shows it: its Stripe customer and subscription state. */
export type BillingAccount = Pick<
  BillingAccountRow,
  | 'stripe_customer_id'
  | 'plan'
  | 'subscription_id'
  | 'subscription_status'
  | 'current_period_start'
  | 'current_period_end'
>;

const NO_ACCOUNT: BillingAccount = {
  stripe_customer_id: null,
  plan: null,
  subscription_id: null,
  subscription_status: null,
  current_period_start: null,
  current_period_end: null,
};

/** An org's billing state, its event log, and the Stripe customer Collexa creates for it. */
export class BillingService {
  private readonly billing: BillingRepository;
  constructor(private readonly deps: { db: Db; stripe: Stripe }) {
    this.billing = new BillingRepository(deps.db);
  }

  async account(orgId: string): Promise<BillingAccount> {
    return (await this.billing.account(orgId)) ?? NO_ACCOUNT;
  }

  events(
    orgId: string,
    opts: { limit: number; cursor?: string; status?: BillingEventStatus },
  ): Promise<Page<BillingEventRow>> {
    return this.billing.events(orgId, opts);
  }

  /**
   * The org's Stripe customer, created on first need with metadata.orgId (so events find the org even before the
   * id is stored). The idempotency key makes a retried or concurrent first call create one customer.
   */
  async ensureCustomer(actor: Actor): Promise<{ customerId: string; created: boolean }> {
    const existing = (await this.billing.account(actor.orgId))?.stripe_customer_id;
    if (existing) return { customerId: existing, created: false };
    let customer: Stripe.Customer;
    try {
      customer = await this.deps.stripe.customers.create(
        { metadata: { orgId: actor.orgId }, description: `Collexa org ${actor.orgId}` },
        { idempotencyKey: `collexa-customer-${actor.orgId}` },
      );
    } catch {
      throw new AppError('stripe_unavailable', 503, 'Stripe could not be reached; retry shortly');
    }
    const customerId = await this.billing.linkCustomer(actor.orgId, customer.id);
    await new AuditRepository(this.deps.db).record(
      auditEvent(actor, 'billing.customer_created', 'billing_account', actor.orgId, { customerId }),
    );
    return { customerId, created: customerId === customer.id };
  }
}
