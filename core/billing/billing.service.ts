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
import { AppError, badRequest } from '../errors.js';
import type { BillingConfig } from '../config.js';
import { LedgerRepository, type UsageGroup } from '../db/ledger.repository.js';
import { CreditPurchases } from './credit-purchases.js';
import { monthStart } from './month.js';
import type { PaymentGateway } from './payment-gateway.js';

const MAX_RANGE_MS = 366 * 24 * 3600_000;

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
  private readonly ledger: LedgerRepository;
  /** Prepaid credits: buy, confirm, refund. */
  readonly credits: CreditPurchases;
  constructor(
    private readonly deps: {
      db: Db;
      stripe: Stripe;
      config: Pick<BillingConfig, 'prices' | 'currency'>;
      payments?: PaymentGateway;
    },
  ) {
    this.billing = new BillingRepository(deps.db);
    this.ledger = new LedgerRepository(deps.db);
    this.credits = new CreditPurchases({
      db: deps.db,
      currency: deps.config.currency,
      gateway: deps.payments,
      ensureCustomer: (actor) => this.ensureCustomer(actor),
    });
  }

  /**
   * The org's usage in [from, to) by agent, capability or kind, from a ledger first brought up to date with the
   * org's sources (the reporter's sweep does the same for every org; the entries are unique by source).
   */
  async usage(orgId: string, q: { from: Date; to: Date; groupBy: UsageGroup }) {
    if (q.to <= q.from) throw badRequest('invalid_range', '`to` must be after `from`');
    if (q.to.getTime() - q.from.getTime() > MAX_RANGE_MS) throw badRequest('invalid_range', 'at most 366 days at once');
    await this.ledger.collect({ ...this.deps.config, since: q.from, orgId });
    const lines = await this.ledger.usage(orgId, q.from, q.to, q.groupBy);
    const totals = await this.ledger.totals(orgId, monthStart(new Date()));
    return { lines, currency: this.deps.config.currency, ...totals };
  }

  async account(orgId: string): Promise<BillingAccount & { creditBalanceMicros: number }> {
    const { creditMicros } = await this.ledger.totals(orgId, monthStart(new Date()));
    return { ...((await this.billing.account(orgId)) ?? NO_ACCOUNT), creditBalanceMicros: creditMicros };
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
