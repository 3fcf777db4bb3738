// `npm run bench:billing`: Stripe webhooks verified (constructEvent), deduplicated (a unique row) and handed to
// billingSyncWorkflow (signal-with-start) per second over the real API, against bare Temporal workflow starts,
// on the same Temporal dev server in one run. Each phase's work is drained before the next phase starts (the
// bare starts' workflows completed, the webhooks' events applied), so neither side pays for the other's
// backlog; the drain time is reported beside the throughput. Env: BENCH_N (400), BENCH_CONCURRENCY (8), BENCH_ROUNDS (2),
// BENCH_WARMUP (40), BENCH_ORGS (16). Exits 0 on a MISS; non-zero only on errors.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { writeResults } from '../lib/report.js';
import Stripe from 'stripe';
import { apiPost, createBenchOrg, startCollexaPlatform } from '../lib/collexa.js';
import {
  benchLogger,
  checkout,
  intEnv,
  machineInfo,
  RESULTS_DIR,
  runBenchmark,
  say,
  type Stoppable,
} from '../lib/harness.js';
import { combine, runClosedLoop, type OpOutcome, type PhaseRun } from '../lib/load.js';
import { startBenchStack } from '../lib/stack.js';
import { startBaseline } from '../invoke/baseline.js';

const TARGET = 0.8;
const SECRET = 'whsec_benchBilling';
const signer = new Stripe('sk_test_benchSigner');

type Settings = { n: number; concurrency: number; rounds: number; warmup: number; orgs: number };

async function main({ runDir, started, settings }: { runDir: string; started: Stoppable[]; settings: Settings }) {
  const { n, concurrency, rounds, warmup, orgs } = settings;
  const loadAvg1mAtStart = os.loadavg()[0]!;
  // Before any worker: it installs the Temporal runtime's logger.
  const logger = benchLogger(runDir);
  say(`starting Temporal, PostgreSQL and stripe-mock, building bundles (temp dir ${runDir})`);
  const stack = await startBenchStack(runDir);
  started.push(stack);
  const baseline = await startBaseline(stack.temporalAddress);
  started.push(baseline);
  const collexa = await startCollexaPlatform({
    stack,
    logger,
    env: { STRIPE_API_BASE: stack.stripeApiBase, STRIPE_SECRET_KEY: 'sk_test_bench', STRIPE_WEBHOOK_SECRET: SECRET },
  });
  started.push(collexa);

  // Orgs with a Stripe customer each (created through the SDK against stripe-mock), so events find them by it.
  const customers: string[] = [];
  for (let i = 0; i < orgs; i++) {
    const org = await createBenchOrg(collexa.identity, `bench-billing-${i}`);
    const made = (await apiPost(collexa.url, org.adminKey, '/v1/billing/customer', {}, 201)) as { customerId: string };
    customers.push(made.customerId);
  }

  // A bare start: what signal-with-start costs Temporal, without verification, dedup or the event row.
  let begun: Promise<unknown>[] = [];
  const bareStart = async (): Promise<OpOutcome> => {
    const workflowId = `bench-noop-${randomUUID()}`;
    const handle = await baseline.client.workflow.start('noopWorkflow', { taskQueue: baseline.taskQueue, workflowId });
    begun.push(handle.result());
    return { ok: true, workflowId };
  };
  // Until every workflow the bare starts began has completed, and every event the webhooks recorded is applied.
  const drain = {
    baseline: async () => {
      await Promise.all(begun);
      begun = [];
    },
    webhooks: async () => {
      for (;;) {
        const left = await collexa.db('billing_events').where({ status: 'received' }).count<{ n: string }[]>('* as n');
        if (Number(left[0]!.n) === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
  let created = Math.floor(Date.now() / 1000);
  const webhook = async (i: number): Promise<OpOutcome> => {
    const customer = customers[i % customers.length]!;
    const event = {
      id: `evt_bench_${randomUUID().replaceAll('-', '')}`,
      object: 'event',
      created: ++created,
      type: 'customer.subscription.updated',
      data: {
        object: { id: `sub_${i % orgs}`, object: 'subscription', customer, status: 'active', items: { data: [] } },
      },
    };
    const payload = JSON.stringify(event);
    const res = await fetch(`${collexa.url}/webhooks/stripe`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': signer.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
      },
      body: payload,
    });
    const body = await res.text();
    return res.status === 200 ? { ok: true } : { ok: false, error: `${res.status} ${body.slice(0, 200)}` };
  };

  say(`warming up (${warmup} ops each, concurrency ${concurrency})`);
  for (const [what, op] of [
    ['baseline', bareStart],
    ['webhooks', webhook],
  ] as const) {
    const w = await runClosedLoop(warmup, concurrency, op);
    if (w.samples.some((s) => !s.ok)) throw new Error(`${what} warm-up failed: ${w.firstErrors.join('; ')}`);
    await drain[what]();
  }
  const runs: Record<'baseline' | 'webhooks', PhaseRun[]> = { baseline: [], webhooks: [] };
  const drainMs: Record<'baseline' | 'webhooks', number[]> = { baseline: [], webhooks: [] };
  let opIndex = warmup;
  for (let r = 0; r < rounds; r++) {
    const size = Math.floor(n / rounds);
    const phases: Array<['baseline' | 'webhooks', (i: number) => Promise<OpOutcome>]> = [
      ['baseline', bareStart],
      ['webhooks', () => webhook(opIndex++)],
    ];
    if (r % 2 === 1) phases.reverse();
    for (const [name, op] of phases) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const run = await runClosedLoop(size, concurrency, op);
      runs[name].push(run);
      const drainStart = performance.now();
      await drain[name]();
      drainMs[name].push(performance.now() - drainStart);
      const ok = run.samples.filter((s) => s.ok).length;
      say(
        `round ${r + 1}/${rounds} ${name}: ${ok}/${size} ok (${(ok / (run.wallMs / 1000)).toFixed(1)} ops/s), ` +
          `drained in ${drainMs[name].at(-1)!.toFixed(0)} ms`,
      );
    }
  }
  const b = combine(runs.baseline);
  const w = combine(runs.webhooks);
  const ratio = w.throughput / b.throughput;
  // Accepted and processed: the operations over the phases' time plus the time their work took to drain.
  const endToEnd = (name: 'baseline' | 'webhooks') => {
    const ok = runs[name].reduce((n, run) => n + run.samples.filter((s) => s.ok).length, 0);
    const ms = runs[name].reduce((t, run) => t + run.wallMs, 0) + drainMs[name].reduce((t, d) => t + d, 0);
    return ok / (ms / 1000);
  };
  const e2e = { baseline: endToEnd('baseline'), webhooks: endToEnd('webhooks') };
  const report = {
    at: new Date().toISOString(),
    commit: checkout(),
    machine: machineInfo(loadAvg1mAtStart),
    config: settings,
    baseline: { ...b, drainMs: drainMs.baseline },
    webhooks: { ...w, drainMs: drainMs.webhooks },
    throughputRatio: { value: ratio, target: TARGET, pass: ratio >= TARGET },
    endToEndPerSecond: { ...e2e, ratio: e2e.webhooks / e2e.baseline },
  };
  const file = writeResults(RESULTS_DIR, 'billing', report);
  process.stdout.write(
    `\nbench/billing  ${report.at}  ${report.commit}\n` +
      `  bare workflow starts      ${b.throughput.toFixed(1)} /s  p50 ${b.latencyMs.p50.toFixed(1)} ms  p99 ${b.latencyMs.p99.toFixed(1)} ms\n` +
      `  verified+dedup webhooks   ${w.throughput.toFixed(1)} /s  p50 ${w.latencyMs.p50.toFixed(1)} ms  p99 ${w.latencyMs.p99.toFixed(1)} ms\n` +
      `  end to end (accepted and processed): ${e2e.webhooks.toFixed(1)} /s vs ${e2e.baseline.toFixed(1)} /s\n` +
      `  ratio ${ratio.toFixed(2)} (goal >= ${TARGET}): ${ratio >= TARGET ? 'PASS' : 'MISS'}\n\nresults: ${path.relative(process.cwd(), file)}\n`,
  );
  return b.errors + w.errors > 0 ? 1 : 0;
}

await runBenchmark(
  (): Settings => ({
    n: intEnv('BENCH_N', 400),
    concurrency: intEnv('BENCH_CONCURRENCY', 8),
    rounds: intEnv('BENCH_ROUNDS', 2),
    warmup: intEnv('BENCH_WARMUP', 40),
    orgs: intEnv('BENCH_ORGS', 16),
  }),
  main,
);
