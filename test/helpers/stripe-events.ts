// Stripe events as Stripe sends them to a webhook endpoint: the body signed with the endpoint's secret by the
// stripe SDK's own generateTestHeaderString (the scheme constructEvent checks), posted raw.
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { call } from './stack.js';

/** The webhook secret of a test run's API (the development default of STRIPE_WEBHOOK_SECRET). */
export const TEST_WEBHOOK_SECRET = 'whsec_collexa_dev';
const sdk = new Stripe('sk_test_signer');

let clock = Math.floor(Date.now() / 1000);
/** A Stripe event id no test has used. */
export const eventId = () => `evt_test_${randomBytes(12).toString('hex')}`;

/** A Stripe event of `type` about `object`; `created` ascends from call to call unless given. */
export function stripeEvent(type: string, object: Record<string, unknown>, created = ++clock) {
  return {
    id: eventId(),
    object: 'event',
    api_version: '2025-10-29',
    created,
    type,
    data: { object },
    livemode: false,
  };
}

/** A subscription object as Stripe's events carry it. */
export function subscription(
  customer: string,
  status: string,
  opts: { plan?: string; metadata?: Record<string, string> } = {},
) {
  const start = Math.floor(Date.now() / 1000);
  return {
    id: `sub_${randomBytes(6).toString('hex')}`,
    object: 'subscription',
    customer,
    status,
    metadata: opts.metadata ?? {},
    items: {
      object: 'list',
      data: [
        {
          id: 'si_1',
          price: { id: 'price_1', lookup_key: opts.plan ?? 'team', nickname: null },
          current_period_start: start,
          current_period_end: start + 30 * 86400,
        },
      ],
    },
  };
}

export function signature(payload: string, opts: { secret?: string; timestamp?: number } = {}): string {
  return sdk.webhooks.generateTestHeaderString({
    payload,
    secret: opts.secret ?? TEST_WEBHOOK_SECRET,
    ...(opts.timestamp === undefined ? {} : { timestamp: opts.timestamp }),
  });
}

/** POSTs `body` to the API's Stripe webhook with `sig` as Stripe-Signature (none when null). */
export function postWebhook(apiUrl: string, body: string, sig: string | null) {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (sig !== null) headers['stripe-signature'] = sig;
  return call(`${apiUrl}/webhooks/stripe`, { method: 'POST', headers, body });
}

/** Signs and delivers an event, as Stripe does. */
export function deliver(apiUrl: string, event: object) {
  const payload = JSON.stringify(event);
  return postWebhook(apiUrl, payload, signature(payload));
}
