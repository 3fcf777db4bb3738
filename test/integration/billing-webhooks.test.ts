import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';
import { expectEnvelope } from '../helpers/envelope.js';
import { deliver, postWebhook, signature, stripeEvent, subscription } from '../helpers/stripe-events.js';
import { waitFor } from '../helpers/wait.js';

// Real path: signed deliveries to the API, deduplicated in PostgreSQL, applied by billingSyncWorkflow on a
// real Temporal worker; the org's Stripe customer is created through the SDK against stripe-mock.
let platform: Awaited<ReturnType<typeof startPlatform>>;
beforeAll(async () => {
  platform = await startPlatform();
});
afterAll(async () => {
  await platform?.stop();
});

async function orgWithCustomer() {
  const { org, adminKey } = await createOrg(platform.db, 'billing');
  const made = await call(`${platform.url}/v1/billing/customer`, { method: 'POST', key: adminKey });
  expect(made.status, made.text).toBe(201);
  expect(made.json.customerId).toMatch(/^cus_/);
  return { orgId: org.id, adminKey, customerId: made.json.customerId as string };
}

const events = async (key: string, query = '') =>
  (await call(`${platform.url}/v1/billing/events${query}`, { key })).json.data as Array<Record<string, unknown>>;

const eventNamed = (key: string, stripeEventId: string, status: string) =>
  waitFor(
    async () => (await events(key)).find((e) => (e.stripe as { eventId: string }).eventId === stripeEventId),
    (e) => e?.status === status,
    { what: `event ${stripeEventId} to be ${status}` },
  );

describe('POST /webhooks/stripe', () => {
  it('applies a signed subscription event: the plan, status and period show at GET /v1/billing', async () => {
    const { adminKey, customerId } = await orgWithCustomer();
    const again = await call(`${platform.url}/v1/billing/customer`, { method: 'POST', key: adminKey });
    expect(again.status).toBe(200);
    expect(again.json.customerId).toBe(customerId);

    const ev = stripeEvent('customer.subscription.created', subscription(customerId, 'active', { plan: 'team' }));
    const r = await deliver(platform.url, ev);
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ received: true, duplicate: false, status: 'received' });
    await eventNamed(adminKey, ev.id, 'applied');
    const billing = (await call(`${platform.url}/v1/billing`, { key: adminKey })).json;
    expect(billing).toMatchObject({ customerId, plan: 'team', subscriptionStatus: 'active' });
    expect(Date.parse(billing.currentPeriod.end)).toBeGreaterThan(Date.parse(billing.currentPeriod.start));
  });

  it('has one effect for 20 deliveries of one event', async () => {
    const { adminKey, customerId } = await orgWithCustomer();
    const ev = stripeEvent('customer.subscription.created', subscription(customerId, 'active'));
    const answers = await Promise.all(Array.from({ length: 20 }, () => deliver(platform.url, ev)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(answers.filter((a) => a.json.duplicate === false)).toHaveLength(1);
    await eventNamed(adminKey, ev.id, 'applied');
    const rows = await platform.db('billing_events').where({ stripe_event_id: ev.id });
    expect(rows).toHaveLength(1);
    const applied = await platform
      .db('audit_events')
      .where({ action: 'billing.event_applied', subject_id: rows[0].id });
    expect(applied).toHaveLength(1);
  });

  it('never moves state back for an event delivered after a newer one (it is recorded stale)', async () => {
    const { adminKey, customerId } = await orgWithCustomer();
    const sub = subscription(customerId, 'active');
    const now = Math.floor(Date.now() / 1000);
    const newer = stripeEvent('customer.subscription.updated', { ...sub, status: 'past_due' }, now + 10);
    const older = stripeEvent('customer.subscription.updated', { ...sub, status: 'active' }, now + 5);
    expect((await deliver(platform.url, newer)).status).toBe(200);
    expect((await deliver(platform.url, older)).status).toBe(200);
    await eventNamed(adminKey, older.id, 'stale');
    await eventNamed(adminKey, newer.id, 'applied');
    const billing = (await call(`${platform.url}/v1/billing`, { key: adminKey })).json;
    expect(billing.subscriptionStatus).toBe('past_due');
  });

  it('refuses a missing, forged, re-serialised or stale signature with a 400 envelope and records nothing', async () => {
    const { customerId } = await orgWithCustomer();
    const ev = stripeEvent('customer.subscription.created', subscription(customerId, 'active'));
    const payload = JSON.stringify(ev);
    const cases = {
      missing: await postWebhook(platform.url, payload, null),
      forged: await postWebhook(platform.url, payload, signature(payload, { secret: 'whsec_not_the_endpoints' })),
      // Same JSON value, other bytes: the signature covers the bytes Stripe sent.
      reserialised: await postWebhook(platform.url, JSON.stringify(ev, null, 2), signature(payload)),
      stale: await postWebhook(
        platform.url,
        payload,
        signature(payload, { timestamp: Math.floor(Date.now() / 1000) - 301 }),
      ),
      tampered: await postWebhook(platform.url, payload.replace('"active"', '"canceled"'), signature(payload)),
    };
    for (const [name, r] of Object.entries(cases)) {
      expect(r.status, name).toBe(400);
      expectEnvelope(r, 400, 'invalid_signature');
    }
    expect(await platform.db('billing_events').where({ stripe_event_id: ev.id })).toHaveLength(0);
  });

  it('records and acknowledges an event type it has no handler for', async () => {
    const { adminKey, customerId } = await orgWithCustomer();
    const ev = stripeEvent('customer.tax_id.created', { id: 'txi_1', object: 'tax_id', customer: customerId });
    const r = await deliver(platform.url, ev);
    expect(r.status).toBe(200);
    expect(r.json.status).toBe('unknown_type');
    await eventNamed(adminKey, ev.id, 'unknown_type');
  });

  it('parks a poison event with its error and still applies the org’s later events', async () => {
    const { adminKey, customerId } = await orgWithCustomer();
    const poison = stripeEvent('customer.subscription.updated', {
      ...subscription(customerId, 'active'),
      status: 42,
    });
    const later = stripeEvent('customer.subscription.updated', subscription(customerId, 'trialing', { plan: 'pro' }));
    await deliver(platform.url, poison);
    await deliver(platform.url, later);
    const parked = await eventNamed(adminKey, poison.id, 'parked');
    expect(parked!.error).toMatch(/invalid_stripe_object/);
    await eventNamed(adminKey, later.id, 'applied');
    expect((await events(adminKey, '?status=parked')).map((e) => e.id)).toEqual([parked!.id]);
    const billing = (await call(`${platform.url}/v1/billing`, { key: adminKey })).json;
    expect(billing).toMatchObject({ plan: 'pro', subscriptionStatus: 'trialing' });
  });

  it('finds the org by metadata.orgId; records an event of no known org as unmatched, in no org', async () => {
    const { orgId, adminKey } = await orgWithCustomer();
    const byMeta = stripeEvent(
      'customer.subscription.created',
      subscription('cus_not_ours_yet', 'active', { metadata: { orgId }, plan: 'meta-plan' }),
    );
    await deliver(platform.url, byMeta);
    await eventNamed(adminKey, byMeta.id, 'applied');

    const stray = stripeEvent('customer.subscription.created', subscription('cus_nobody', 'active'));
    const r = await deliver(platform.url, stray);
    expect(r.json.status).toBe('unmatched');
    const row = await platform.db('billing_events').where({ stripe_event_id: stray.id }).first();
    expect(row).toMatchObject({ status: 'unmatched', org_id: null });
    expect((await events(adminKey)).some((e) => (e.stripe as { eventId: string }).eventId === stray.id)).toBe(false);
  });
});
