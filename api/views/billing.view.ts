import type { BillingAccount } from '../../core/billing/billing.service.js';
import type { UsageLine } from '../../core/db/ledger.repository.js';
import type { PaymentIntent } from '../../core/billing/payment-gateway.js';
import type { BillingEventRow } from '../../core/db/billing.repository.js';
import { iso } from './iso.js';

/** An org's billing state: its Stripe customer, plan and subscription, and its prepaid credit left. */
export function billingAccountView(a: BillingAccount & { creditBalanceMicros: number }) {
  return {
    creditBalanceMicros: a.creditBalanceMicros,
    customerId: a.stripe_customer_id,
    plan: a.plan,
    subscriptionId: a.subscription_id,
    subscriptionStatus: a.subscription_status,
    currentPeriod:
      a.current_period_start || a.current_period_end
        ? { start: iso(a.current_period_start), end: iso(a.current_period_end) }
        : null,
  };
}

/** One Stripe event as Collexa received it; a parked one carries the error that parked it. */
export function billingEventView(e: BillingEventRow) {
  return {
    id: e.id,
    orgId: e.org_id,
    type: e.type,
    status: e.status,
    amount: e.amount === null ? null : Number(e.amount),
    currency: e.currency,
    stripe: { eventId: e.stripe_event_id, objectId: e.stripe_object_id, customerId: e.stripe_customer_id },
    metadata: e.metadata,
    error: e.error,
    attempts: e.attempts,
    createdAt: iso(e.stripe_created_at),
    receivedAt: iso(e.received_at),
    processedAt: iso(e.processed_at),
  };
}

/** Usage lines with amounts in micro-units and in the currency's minor units (cents), and the month's totals. */
export function usageView(
  q: { from: Date; to: Date; groupBy: string },
  u: { lines: UsageLine[]; currency: string; spentMicros: number; creditMicros: number },
) {
  return {
    from: iso(q.from),
    to: iso(q.to),
    groupBy: q.groupBy,
    currency: u.currency,
    data: u.lines.map((l) => ({ ...l, amountMinor: Math.ceil(l.amountMicros / 10_000) })),
    monthToDate: { spentMicros: u.spentMicros, creditBalanceMicros: u.creditMicros },
  };
}

/** A credits purchase: the payment intent and whether the ledger was credited already (else on its event). */
export function paymentView(p: PaymentIntent & { credited: boolean }) {
  return { paymentIntentId: p.id, status: p.status, amount: p.amount, currency: p.currency, credited: p.credited };
}
