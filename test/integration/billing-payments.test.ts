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

const post = (url: string, key: string, path: string, json: unknown, idempotencyKey?: string) =>
  call(`${url}${path}`, {
    method: 'POST',
    key,
    json,
    headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
  });
const balance = async (url: string, key: string) =>
  (await call(`${url}/v1/billing`, { key })).json.creditBalanceMicros as number;

// Stripe's answer to a confirmation that succeeded (stripe-mock answers every confirmation from one fixture).
const succeededIntent = (id: string, amount: number) => ({
  id,
  object: 'payment_intent',
  amount,
  amount_received: amount,
  currency: 'usd',
  status: 'succeeded',
});

// Before the breaker test below: it leaves the proxied API's breaker open.
describe('POST /v1/billing/credits/:id/confirm and /refund', () => {
  it('confirms a purchase that needs it: credited once, and only the org’s own purchase', async () => {
    const { adminKey } = await createOrg(faulty.db, 'credits-confirm');
    const bought = await post(faulty.url, adminKey, '/v1/billing/credits', { amount: 4000 });
    expect(bought.status, bought.text).toBe(202);
    const id = bought.json.paymentIntentId as string;
    const confirmPath = `/v1/payment_intents/${id}/confirm`;

    proxy.fault({ method: 'POST', path: confirmPath, status: 200, body: succeededIntent(id, 4000) });
    const confirmed = await post(faulty.url, adminKey, `/v1/billing/credits/${id}/confirm`, {
      paymentMethod: 'pm_card_visa',
    });
    expect(confirmed.status, confirmed.text).toBe(200);
    expect(confirmed.json).toMatchObject({ paymentIntentId: id, status: 'succeeded', amount: 4000, credited: true });
    const sent = proxy.requests.filter((r) => r.path === confirmPath);
    expect(sent.at(-1)!.form.payment_method).toBe('pm_card_visa');
    expect(sent.at(-1)!.idempotencyKey).toMatch(/^credits-confirm-/);
    expect(await balance(faulty.url, adminKey)).toBe(40_000_000);

    // Again: already succeeded, nothing sent, nothing credited twice.
    const again = await post(faulty.url, adminKey, `/v1/billing/credits/${id}/confirm`, {});
    expect(again.json).toMatchObject({ status: 'succeeded', credited: false });
    expect(proxy.requests.filter((r) => r.path === confirmPath)).toHaveLength(sent.length);
    expect(await balance(faulty.url, adminKey)).toBe(40_000_000);

    const other = await createOrg(faulty.db, 'credits-confirm-other');
    expectEnvelope(await post(faulty.url, other.adminKey, `/v1/billing/credits/${id}/confirm`, {}), 404, 'not_found');
    expectEnvelope(await post(faulty.url, other.adminKey, `/v1/billing/credits/${id}/refund`, {}), 404, 'not_found');
    expectEnvelope(
      await post(faulty.url, adminKey, '/v1/billing/credits/ch_1/confirm', {}),
      400,
      'invalid_payment_intent',
    );
  });

  it('refunds unused credit only: at most what is neither spent nor refunded, once per Idempotency-Key', async () => {
    const { org, adminKey } = await createOrg(faulty.db, 'credits-refund');
    proxy.fault({
      method: 'POST',
      path: '/v1/payment_intents',
      status: 200,
      body: succeededIntent('pi_refund_a', 5000),
    });
    const bought = await post(faulty.url, adminKey, '/v1/billing/credits', {
      amount: 5000,
      paymentMethod: 'pm_card_visa',
    });
    expect(bought.status, bought.text).toBe(201);
    // Spend some of it (10 LLM calls priced at 3000 micro-units together), then refund what is left.
    await recordLlmCalls(faulty.db, org.id, 10);
    const now = Date.now();
    await call(
      `${faulty.url}/v1/billing/usage?from=${new Date(now - 60_000).toISOString()}&to=${new Date(now + 60_000).toISOString()}`,
      { key: adminKey },
    );
    expect(await balance(faulty.url, adminKey)).toBe(50_000_000 - 3000);

    expectEnvelope(
      await post(faulty.url, adminKey, '/v1/billing/credits/pi_refund_a/refund', { amount: 5000 }),
      409,
      'refund_exceeds_credit',
    );
    const refunded = await post(faulty.url, adminKey, '/v1/billing/credits/pi_refund_a/refund', {}, 'refund-1');
    expect(refunded.status, refunded.text).toBe(200);
    expect(refunded.json).toMatchObject({ amount: 4999, currency: 'usd' });
    expect(refunded.json.refundId).toMatch(/^re_/);
    const refundCalls = () => proxy.requests.filter((r) => r.path === '/v1/refunds');
    expect(refundCalls().at(-1)!.form).toMatchObject({ payment_intent: 'pi_refund_a', amount: '4999' });
    expect(await balance(faulty.url, adminKey)).toBe(50_000_000 - 3000 - 4999 * 10_000);

    // The same request again: the same refund (Stripe's idempotency key), nothing withdrawn twice.
    const retried = await post(faulty.url, adminKey, '/v1/billing/credits/pi_refund_a/refund', {}, 'refund-1');
    expect(retried.json).toMatchObject({ amount: 4999 });
    expect(refundCalls().at(-1)!.idempotencyKey).toBe(refundCalls().at(-2)!.idempotencyKey);
    expect(await balance(faulty.url, adminKey)).toBe(50_000_000 - 3000 - 4999 * 10_000);
    // Nothing is left to refund.
    expectEnvelope(
      await post(faulty.url, adminKey, '/v1/billing/credits/pi_refund_a/refund', {}),
      409,
      'refund_exceeds_credit',
    );
  });

  it('puts the credit back when Stripe refuses a refund, and keeps it reserved when the answer is unknown', async () => {
    const { adminKey } = await createOrg(faulty.db, 'credits-refund-faults');
    proxy.fault({
      method: 'POST',
      path: '/v1/payment_intents',
      status: 200,
      body: succeededIntent('pi_refund_b', 3000),
    });
    expect(
      (await post(faulty.url, adminKey, '/v1/billing/credits', { amount: 3000, paymentMethod: 'pm_card_visa' })).status,
    ).toBe(201);
    const path = '/v1/billing/credits/pi_refund_b/refund';

    proxy.fault({
      method: 'POST',
      path: '/v1/refunds',
      status: 400,
      body: { error: { type: 'invalid_request_error', code: 'charge_already_refunded', message: 'acct_1SECRET' } },
    });
    const refused = await post(faulty.url, adminKey, path, { amount: 1000 }, 'r-refused');
    expectEnvelope(refused, 400, 'payment_invalid');
    expect(refused.text).not.toContain('SECRET');
    expect(await balance(faulty.url, adminKey)).toBe(30_000_000);

    proxy.fault({
      method: 'POST',
      path: '/v1/refunds',
      status: 500,
      body: { error: { type: 'api_error', message: 'x' } },
    });
    expectEnvelope(
      await post(faulty.url, adminKey, path, { amount: 1000 }, 'r-unknown'),
      502,
      'payment_provider_error',
    );
    // Stripe may have refunded: the credit stays withdrawn until the same request is retried.
    expect(await balance(faulty.url, adminKey)).toBe(20_000_000);
    const retried = await post(faulty.url, adminKey, path, { amount: 1000 }, 'r-unknown');
    expect(retried.status, retried.text).toBe(200);
    expect(await balance(faulty.url, adminKey)).toBe(20_000_000);
  });
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
    // Credited by its event, the purchase is refundable (stripe-mock answers the refund).
    const refund = await post(platform.url, adminKey, `/v1/billing/credits/${bought.json.paymentIntentId}/refund`, {
      amount: 1000,
    });
    expect(refund.status, refund.text).toBe(200);
    expect(await balance(platform.url, adminKey)).toBe(25_000_000 - 3000 - 10_000_000);
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
