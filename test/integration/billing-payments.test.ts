// Prepaid credits through the PaymentGateway's Stripe adapter: the SDK against stripe-mock, and against a
// fault-injecting proxy in front of it for what stripe-mock cannot answer (a declined card, 429, 5xx).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStripeClient } from '../../core/billing/stripe-client.js';
import { expectEnvelope } from '../helpers/envelope.js';
import { recordLlmCalls } from '../helpers/ledger-sources.js';
import { startPlatform } from '../helpers/platform.js';
import { call, createOrg, startApi, testConfig } from '../helpers/stack.js';
import { deliver, stripeEvent } from '../helpers/stripe-events.js';
import { startStripeProxy, type StripeProxy } from '../helpers/stripe-proxy.js';
import { waitFor } from '../helpers/wait.js';

let platform: Awaited<ReturnType<typeof startPlatform>>;
let faulty: Awaited<ReturnType<typeof startApi>>;
let proxy: StripeProxy;
beforeAll(async () => {
  platform = await startPlatform();
  proxy = await startStripeProxy();
  const billing = testConfig().billing;
  faulty = await startApi({
    billing: { stripe: createStripeClient({ ...billing, apiBase: proxy.url }), config: billing },
  });
});
afterAll(async () => {
  await faulty?.close();
  await platform?.stop();
  await proxy?.close();
});

const buy = (url: string, key: string, amount: number, idempotencyKey?: string) =>
  call(`${url}/v1/billing/credits`, {
    method: 'POST',
    key,
    json: { amount, paymentMethod: 'pm_card_visa' },
    headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
  });

describe('POST /v1/billing/credits', () => {
  it('credits the ledger once the payment succeeds (its event), once however often it is told; usage draws it down', async () => {
    const { org, adminKey } = await createOrg(platform.db, 'credits');
    const bought = await buy(platform.url, adminKey, 2500);
    expect(bought.status, bought.text).toBe(202);
    expect(bought.json).toMatchObject({ amount: 2500, currency: 'usd', credited: false });
    const { customerId } = (await call(`${platform.url}/v1/billing`, { key: adminKey })).json;
    const succeeded = {
      id: bought.json.paymentIntentId,
      object: 'payment_intent',
      amount: 2500,
      amount_received: 2500,
      currency: 'usd',
      customer: customerId,
      status: 'succeeded',
      metadata: { orgId: org.id, purpose: 'collexa_credits' },
    };
    // Two events (a retry of the payment's notification) about one intent: one credit.
    await deliver(platform.url, stripeEvent('payment_intent.succeeded', succeeded));
    await deliver(platform.url, stripeEvent('payment_intent.succeeded', succeeded));
    const credited = await waitFor(
      async () => (await call(`${platform.url}/v1/billing/events`, { key: adminKey })).json.data,
      (d: Array<{ status: string; amount: number }>) => d.filter((e) => e.status === 'applied').length === 2,
      { what: 'both payment events applied' },
    );
    expect(credited[0]!.amount).toBe(2500);
    expect((await call(`${platform.url}/v1/billing`, { key: adminKey })).json.creditBalanceMicros).toBe(25_000_000);

    await recordLlmCalls(platform.db, org.id, 10);
    const now = Date.now();
    await call(
      `${platform.url}/v1/billing/usage?from=${new Date(now - 60_000).toISOString()}&to=${new Date(now + 60_000).toISOString()}`,
      { key: adminKey },
    );
    expect((await call(`${platform.url}/v1/billing`, { key: adminKey })).json.creditBalanceMicros).toBe(
      25_000_000 - 3000,
    );
  });

  it('sends one idempotency key per purchase: a retried request is the same payment', async () => {
    const { adminKey } = await createOrg(faulty.db, 'credits-idem');
    const before = proxy.requests.length;
    expect((await buy(faulty.url, adminKey, 900, 'order-1')).status).toBe(202);
    expect((await buy(faulty.url, adminKey, 900, 'order-1')).status).toBe(202);
    const intents = proxy.requests.slice(before).filter((r) => r.path === '/v1/payment_intents');
    expect(intents).toHaveLength(2);
    expect(intents[0]!.idempotencyKey).toBe(intents[1]!.idempotencyKey);
    expect(intents[0]!.idempotencyKey).toMatch(/order-1$/);
    expect(intents[0]!.form).toMatchObject({ amount: '900', currency: 'usd', 'metadata[purpose]': 'collexa_credits' });
  });

  it('maps each payment error to a typed error with a message safe for the payer', async () => {
    const { adminKey } = await createOrg(faulty.db, 'credits-errors');
    const leak = 'internal ref 7f3a acct_1SECRET';
    const cases: Array<[number, unknown, number, string, RegExp]> = [
      [
        402,
        { error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: leak } },
        402,
        'card_declined',
        /declined/,
      ],
      [
        402,
        { error: { type: 'card_error', code: 'card_declined', decline_code: 'stolen_card', message: leak } },
        402,
        'card_declined',
        /declined/,
      ],
      [
        429,
        { error: { type: 'invalid_request_error', code: 'rate_limit', message: leak } },
        429,
        'payment_rate_limited',
        /retry/,
      ],
      [
        400,
        { error: { type: 'invalid_request_error', code: 'parameter_invalid_integer', message: leak } },
        400,
        'payment_invalid',
        /did not accept/,
      ],
      [500, { error: { type: 'api_error', message: leak } }, 502, 'payment_provider_error', /failed/],
    ];
    for (const [status, body, want, code, message] of cases) {
      proxy.fault({ method: 'POST', path: '/v1/payment_intents', status, body, headers: { 'retry-after': '7' } });
      const r = await buy(faulty.url, adminKey, 1000);
      expectEnvelope(r, want, code);
      expect(r.json.error.message).toMatch(message);
      expect(r.text).not.toContain('SECRET');
      expect(r.text).not.toContain('7f3a');
      if (code === 'payment_rate_limited') expect(r.headers.get('retry-after')).toBe('7');
    }
    // Only a decline code the payer can act on is shown.
    proxy.fault({ method: 'POST', path: '/v1/payment_intents', status: 402, body: cases[0]![1] });
    expect((await buy(faulty.url, adminKey, 1000)).json.error.details.declineCode).toBe('insufficient_funds');
  });

  it('opens the breaker after repeated provider failures: calls fail fast without reaching Stripe', async () => {
    const { adminKey } = await createOrg(faulty.db, 'credits-breaker');
    await buy(faulty.url, adminKey, 1000); // creates the customer while Stripe answers
    for (let i = 0; i < 5; i++) {
      proxy.fault({
        method: 'POST',
        path: '/v1/payment_intents',
        status: 500,
        body: { error: { type: 'api_error', message: 'x' } },
      });
      expectEnvelope(await buy(faulty.url, adminKey, 1000), 502, 'payment_provider_error');
    }
    const before = proxy.requests.filter((r) => r.path === '/v1/payment_intents').length;
    const fast = await buy(faulty.url, adminKey, 1000);
    expectEnvelope(fast, 503, 'payment_unavailable');
    expect(fast.headers.get('retry-after')).toBe('30');
    expect(proxy.requests.filter((r) => r.path === '/v1/payment_intents').length).toBe(before);
  });

  it('refuses a bad amount or payment method with a 400 envelope', async () => {
    const { adminKey } = await createOrg(platform.db, 'credits-bad');
    for (const json of [
      { amount: 10 },
      { amount: 12.5 },
      { amount: '1000' },
      { amount: 1000, paymentMethod: 'card_x' },
      {},
    ])
      expectEnvelope(
        await call(`${platform.url}/v1/billing/credits`, { method: 'POST', key: adminKey, json }),
        400,
        'validation_error',
      );
  });
});
