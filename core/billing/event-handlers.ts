import type { BillingEventRow, BillingRepository, SubscriptionState } from '../db/billing.repository.js';
import { badRequest } from '../errors.js';
import type { CreditPaymentRepository } from '../db/credit-payment.repository.js';
import type { LedgerRepository } from '../db/ledger.repository.js';
import { CREDITS_PURPOSE, MICROS_PER_MINOR_UNIT } from './credits.js';
import { SubscriptionSchema, type StripeSubscription } from './stripe-events.js';

/** What a handler gets: the stored event and the repositories it may write, inside one transaction. */
export interface BillingEventContext {
  event: BillingEventRow & { org_id: string };
  billing: BillingRepository;
  ledger: LedgerRepository;
  payments: CreditPaymentRepository;
}

/** Applies one event; 'stale' when the org's state is already newer than the event's object. */
export type BillingEventHandler = (ctx: BillingEventContext) => Promise<'applied' | 'stale'>;

const at = (s: number | null | undefined) => (typeof s === 'number' ? new Date(s * 1000) : null);

/** The plan a subscription is on: metadata.plan, else its first price's lookup key, nickname or id. */
function subscriptionState(sub: StripeSubscription): SubscriptionState {
  const item = sub.items?.data[0];
  const price = item?.price;
  return {
    plan: sub.metadata?.plan ?? price?.lookup_key ?? price?.nickname ?? price?.id ?? null,
    subscription_id: sub.id,
    subscription_status: sub.status,
    // Newer API versions keep the period on the item.
    current_period_start: at(sub.current_period_start ?? item?.current_period_start),
    current_period_end: at(sub.current_period_end ?? item?.current_period_end),
  };
}

function parseSubscription(event: BillingEventRow): StripeSubscription {
  const parsed = SubscriptionSchema.safeParse(event.object);
  if (!parsed.success) {
    throw badRequest('invalid_stripe_object', `${event.type} carries no valid subscription`, {
      issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`),
    });
  }
  return parsed.data;
}

// The event's `created` orders the subscription's states: Stripe sends no per-object version, and each state
// change is its own event, so the newest event seen wins and an older one is stale.
const applySubscription: BillingEventHandler = async ({ event, billing }) => {
  const sub = parseSubscription(event);
  const version = Math.floor(event.stripe_created_at.getTime() / 1000);
  const applied = await billing.applySubscription(event.org_id, version, subscriptionState(sub));
  return applied ? 'applied' : 'stale';
};

// Invoices and payment intents change no state of their own here: their row in the event log (amount,
// currency, ids) is the record. Their objects are still checked, so a malformed one is parked, not logged as paid.
const recordOnly =
  (object: 'invoice' | 'payment_intent'): BillingEventHandler =>
  async ({ event }) => {
    if (event.object.object !== object || typeof event.object.id !== 'string') {
      throw badRequest('invalid_stripe_object', `${event.type} carries no ${object}`);
    }
    return 'applied';
  };

// A succeeded credits purchase of this org (its metadata says so) credits the ledger, once per intent.
const paymentSucceeded: BillingEventHandler = async (ctx) => {
  await recordOnly('payment_intent')(ctx);
  const { event, ledger, payments } = ctx;
  const amount = Number(event.object.amount_received ?? event.object.amount);
  if (event.metadata.purpose === CREDITS_PURPOSE && event.metadata.orgId === event.org_id) {
    if (!Number.isSafeInteger(amount) || amount <= 0 || !event.currency)
      throw badRequest('invalid_stripe_object', 'a credits payment without a positive amount and currency');
    await ledger.addCredit({
      orgId: event.org_id,
      sourceId: event.stripe_object_id!,
      amountMicros: amount * MICROS_PER_MINOR_UNIT,
      currency: event.currency,
    });
    // The purchase becomes refundable (its row is the org's own: upsert never moves another org's).
    await payments.upsert({
      intentId: event.stripe_object_id!,
      orgId: event.org_id,
      amount,
      currency: event.currency,
      status: 'succeeded',
    });
  }
  return 'applied';
};

/** Event type → handler. A type not here is recorded as unknown_type and acknowledged. */
export const BILLING_EVENT_HANDLERS: Readonly<Record<string, BillingEventHandler>> = {
  'customer.subscription.created': applySubscription,
  'customer.subscription.updated': applySubscription,
  'customer.subscription.deleted': applySubscription,
  'invoice.payment_succeeded': recordOnly('invoice'),
  'invoice.payment_failed': recordOnly('invoice'),
  'payment_intent.succeeded': paymentSucceeded,
  'payment_intent.payment_failed': recordOnly('payment_intent'),
};

export const handlesType = (type: string): boolean => Object.hasOwn(BILLING_EVENT_HANDLERS, type);
