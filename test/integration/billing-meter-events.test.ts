// Usage reaches Stripe as billing meter events exactly once as Stripe counts them (by identifier = ledger entry
// id): across a worker killed mid-batch, and across Stripe being unreachable for a while. The worker is the real
// `npm run worker` process, its stripe SDK pointed at a recording proxy in front of stripe-mock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { usageReportWorkflowId } from '../../contracts/usage-report.contract.js';
import { recordLlmCalls } from '../helpers/ledger-sources.js';
import { spawnWorkerProcess, startPlatform } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';
import { startStripeProxy, type StripeProxy } from '../helpers/stripe-proxy.js';
import { waitFor } from '../helpers/wait.js';

let platform: Awaited<ReturnType<typeof startPlatform>>;
let proxy: StripeProxy;
const taskQueue = `meter-${randomUUID()}`;
const workers: ReturnType<typeof spawnWorkerProcess>[] = [];

const startWorker = async () => {
  const w = spawnWorkerProcess(taskQueue, {
    STRIPE_API_BASE: proxy.url,
    BILLING_REPORT_USAGE: 'on',
    BILLING_REPORT_INTERVAL_SECONDS: '1',
  });
  workers.push(w);
  await w.ready;
  return w;
};

beforeAll(async () => {
  proxy = await startStripeProxy();
  platform = await startPlatform({ worker: 'none' });
});
afterAll(async () => {
  await platform?.client.workflow
    .getHandle(usageReportWorkflowId(taskQueue))
    .terminate('test over')
    .catch(() => undefined);
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  await platform?.stop();
  await proxy?.close();
});

async function orgWithUsage(calls: number) {
  const { org, adminKey } = await createOrg(platform.db, 'metered');
  const made = await call(`${platform.url}/v1/billing/customer`, { method: 'POST', key: adminKey });
  expect(made.status, made.text).toBe(201);
  await recordLlmCalls(platform.db, org.id, calls);
  return { orgId: org.id, customerId: made.json.customerId as string };
}

const meterEvents = (ids: Set<string>) =>
  proxy.requests.filter((r) => r.path === '/v1/billing/meter_events' && ids.has(r.form.identifier ?? ''));

const entriesOf = async (orgId: string) =>
  (await platform.db('cost_ledger').where({ org_id: orgId }).select('id', 'reported_at', 'amount_micros')) as Array<{
    id: string;
    reported_at: Date | null;
    amount_micros: string;
  }>;

const allReported = (orgId: string, n: number) =>
  waitFor(
    () => entriesOf(orgId),
    (rows) => rows.length === n && rows.every((r) => r.reported_at !== null),
    { what: `the org's ${n} ledger entries to be reported`, timeoutMs: 60_000, intervalMs: 200 },
  );

describe('usage → Stripe meter events', () => {
  it('sends every entry, counted once by its identifier, across a worker killed mid-batch', async () => {
    const { orgId, customerId } = await orgWithUsage(30);
    proxy.delayMs = 50;
    const first = await startWorker();
    const ids = new Set(
      (
        await waitFor(
          () => entriesOf(orgId),
          (rows) => rows.length === 30,
          { what: 'the ledger entries' },
        )
      ).map((r) => r.id),
    );
    await waitFor(
      () => meterEvents(ids).length,
      (n) => n >= 5,
      { what: 'a few meter events', timeoutMs: 30_000 },
    );
    first.child.kill('SIGKILL');
    await first.exited;
    const sentBeforeKill = meterEvents(ids).length;
    expect(sentBeforeKill).toBeLessThan(30);

    await startWorker();
    const rows = await allReported(orgId, 30);
    const sent = meterEvents(ids);
    // Every entry reached Stripe with its own id as identifier and as idempotency key, and nothing else did.
    expect(new Set(sent.map((r) => r.form.identifier))).toEqual(ids);
    for (const r of sent) {
      expect(r.idempotencyKey).toBe(`meter-${r.form.identifier}`);
      expect(r.form['payload[stripe_customer_id]']).toBe(customerId);
    }
    // At most the one in flight when the worker died is sent twice (same identifier: Stripe counts it once).
    expect(sent.length - ids.size).toBeLessThanOrEqual(1);
    const values = new Map(sent.map((r) => [r.form.identifier, r.form['payload[value]']]));
    for (const row of rows) expect(values.get(row.id)).toBe(String(row.amount_micros));
    proxy.delayMs = 0;
  }, 120_000);

  it('loses nothing while Stripe is unreachable: reported once it answers again', async () => {
    if (!workers.some((w) => w.child.exitCode === null)) await startWorker();
    proxy.down = true;
    const { orgId } = await orgWithUsage(5);
    const ids = new Set(
      (
        await waitFor(
          () => entriesOf(orgId),
          (rows) => rows.length === 5,
          { what: 'the ledger entries' },
        )
      ).map((r) => r.id),
    );
    // Several sweeps' worth of time with Stripe down: nothing is marked reported.
    await new Promise((r) => setTimeout(r, 3000));
    expect((await entriesOf(orgId)).filter((r) => r.reported_at !== null)).toEqual([]);
    proxy.down = false;
    await allReported(orgId, 5);
    expect(new Set(meterEvents(ids).map((r) => r.form.identifier))).toEqual(ids);
    expect(meterEvents(ids)).toHaveLength(5);
  }, 90_000);
});
