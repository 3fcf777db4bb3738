import { z } from 'zod';
import type { NewBillingEvent } from '../db/billing.repository.js';

/** The envelope of a verified Stripe event: only what Collexa reads; data.object is checked by its handler. */
export const StripeEventSchema = z.object({
  id: z.string().regex(/^evt_[A-Za-z0-9_]{1,200}$/),
  type: z.string().regex(/^[a-z_.]{1,100}$/),
  created: z.number().int().nonnegative(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});
export type StripeEvent = z.infer<typeof StripeEventSchema>;

const id = z.string().min(1).max(255);
const str = (v: unknown) => (typeof v === 'string' && v.length > 0 && v.length <= 255 ? v : null);

/** Stripe metadata: string values, at most 50 keys (Stripe's own limit); anything else is dropped. */
export function metadataOf(object: Record<string, unknown>): Record<string, string> {
  const parsed = z.record(z.string().max(40), z.string().max(500)).safeParse(object.metadata);
  if (!parsed.success) return {};
  return Object.fromEntries(Object.entries(parsed.data).slice(0, 50));
}

/** The customer an object belongs to: its `customer` (an id or an expanded customer), or itself. */
export function customerOf(object: Record<string, unknown>): string | null {
  if (object.object === 'customer') return str(object.id);
  const c = object.customer;
  if (typeof c === 'object' && c !== null) return str((c as Record<string, unknown>).id);
  return str(c);
}

// The amount an event is about, by object kind: what an invoice collected, what a payment intent is for.
function amountOf(object: Record<string, unknown>): number | null {
  const field = object.object === 'invoice' ? (object.amount_paid ?? object.amount_due) : object.amount;
  return typeof field === 'number' && Number.isSafeInteger(field) ? field : null;
}

/** The billing_events row of a verified event, before its org and status are known. */
export function summarize(event: StripeEvent): Omit<NewBillingEvent, 'org_id' | 'status'> {
  const o = event.data.object;
  return {
    stripe_event_id: event.id,
    type: event.type,
    amount: amountOf(o) === null ? null : String(amountOf(o)),
    currency: typeof o.currency === 'string' && /^[a-z]{3}$/.test(o.currency) ? o.currency : null,
    stripe_object_id: str(o.id),
    stripe_customer_id: customerOf(o),
    metadata: metadataOf(o),
    object: o,
    stripe_created_at: new Date(event.created * 1000),
  };
}

const PriceSchema = z.object({
  id,
  lookup_key: z.string().max(255).nullish(),
  nickname: z.string().max(255).nullish(),
});
const epoch = z.number().int().nonnegative().nullish();
/** The subscription fields the sync keeps; an object without them is malformed (its event is parked). */
export const SubscriptionSchema = z.object({
  id,
  object: z.literal('subscription'),
  status: z.enum([
    'incomplete',
    'incomplete_expired',
    'trialing',
    'active',
    'past_due',
    'canceled',
    'unpaid',
    'paused',
  ]),
  current_period_start: epoch,
  current_period_end: epoch,
  metadata: z.record(z.string(), z.string()).nullish(),
  items: z
    .object({
      data: z.array(z.object({ price: PriceSchema.nullish(), current_period_start: epoch, current_period_end: epoch })),
    })
    .nullish(),
});
export type StripeSubscription = z.infer<typeof SubscriptionSchema>;
