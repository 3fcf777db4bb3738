// `npm run bench:approvals`: what parked approvals cost. BENCH_PARKED (10000) invocations of a high-risk
// capability are made over the real API (policy asks an approver for each: their workflows wait on their
// approval workflows), then, with all of them pending: the process's RSS (API and worker share it here, so it
// bounds the worker's), the API's GET /v1/approvals?status=pending one request at a time (BENCH_LIST_REQUESTS,
// 200), and BENCH_DECISIONS (30) approvals decided one at a time, each timed from its approve request to its
// invocation's end (GET /v1/invocations/:id?wait=30). Env also: BENCH_CONCURRENCY (16, for parking), BENCH_HEAP_SNAPSHOT=1 (a heap snapshot of the main
// thread once parked, in the run dir), WORKER_MAX_CACHED_WORKFLOWS (the worker's sticky cache).
// Targets (issue 16): RSS ≤ 1 GiB, list p50 ≤ 20 ms, decision → completed p50 ≤ 100 ms. Exits 0 on a MISS;
// 1 if an operation failed or the run broke; 2 on a bad setting.
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { apiPost, apiRequest, createBenchOrg, createSumAgent, startCollexaPlatform } from '../lib/collexa.js';
import { RESULTS_DIR, benchLogger, checkout, intEnv, machineInfo, runBenchmark, say } from '../lib/harness.js';
import { runClosedLoop, summarize } from '../lib/load.js';
import { fmt, writeResults } from '../lib/report.js';
import { startStackWithFixture } from '../lib/stack.js';

const TARGETS = { rssBytes: 1024 ** 3, listP50Ms: 20, decisionP50Ms: 100 };

const settings = () => {
  const s = {
    parked: intEnv('BENCH_PARKED', 10_000),
    concurrency: intEnv('BENCH_CONCURRENCY', 16),
    listRequests: intEnv('BENCH_LIST_REQUESTS', 200),
    decisions: intEnv('BENCH_DECISIONS', 30),
  };
  if (s.decisions > s.parked)
    throw new Error(`BENCH_DECISIONS (${s.decisions}) must not exceed BENCH_PARKED (${s.parked})`);
  return s;
};

const mib = (bytes: number) => bytes / 1024 ** 2;
/** The process's memory after a full collection: heap and external are the main thread's only, the workflow
 * thread's V8 heap and the SDK's native (Rust) memory show only in RSS. */
const memory = () => {
  globalThis.gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
};
const memoryLine = (m: ReturnType<typeof memory>) =>
  `RSS ${fmt(mib(m.rss))} MiB (main heap ${fmt(mib(m.heapUsed))}, external ${fmt(mib(m.external))})`;

await runBenchmark(settings, async ({ runDir, started, settings: s }) => {
  const loadAvg1mAtStart = os.loadavg()[0]!;
  const { stack, fixture } = await startStackWithFixture(runDir, started);
  const cache = process.env.WORKER_MAX_CACHED_WORKFLOWS;
  const platform = await startCollexaPlatform({
    stack,
    logger: benchLogger(runDir),
    ...(cache ? { env: { WORKER_MAX_CACHED_WORKFLOWS: cache } } : {}),
  });
  started.push(platform);
  const org = await createBenchOrg(platform.identity);
  // High risk: a developer's call needs an approver (policies/collexa/authz/invoke.rego); the admin approves.
  const { agentId } = await createSumAgent(platform.url, org.adminKey, fixture.url, 'high');
  const invoke = async (i: number) => {
    const res = await apiRequest(platform.url, org.developerKey, 'POST', `/v1/agents/${agentId}/invoke`, {
      capability: 'sum',
      input: { a: i, b: 1 },
      approvalExpiresIn: 86_400,
    });
    const body = res.body as { id?: string; status?: string };
    const ok = res.status === 202 && (body.status === 'running' || body.status === 'pending_approval');
    return { ok, ...(ok ? {} : { error: `${res.status} ${JSON.stringify(body).slice(0, 300)}` }) };
  };
  const pending = async () =>
    Number(
      (await platform.db('approvals').where({ org_id: org.orgId, status: 'pending' }).count({ n: '*' }).first())?.n ??
        0,
    );

  // Warm the paths before the memory baseline, so it holds the code and caches, not the first calls' growth.
  const warm = await runClosedLoop(10, 2, invoke);
  if (warm.firstErrors.length) throw new Error(`warm-up failed: ${warm.firstErrors[0]}`);
  const before = memory();
  const rssBefore = before.rss;

  say(`parking ${s.parked} invocations (concurrency ${s.concurrency})`);
  const parkStarted = Date.now();
  const park = await runClosedLoop(s.parked, s.concurrency, invoke);
  const accepted = park.samples.filter((x) => x.ok).length;
  const want = accepted + 10;
  for (let seen = 0, last = 0; (seen = await pending()) < want; last = seen) {
    if (Date.now() - parkStarted > 3_600_000)
      throw new Error(`only ${seen} of ${want} approvals opened within an hour`);
    if (seen !== last) say(`  ${seen}/${want} approvals pending`);
    await new Promise((r) => setTimeout(r, 2000));
  }
  const parkSeconds = (Date.now() - parkStarted) / 1000;
  // Parked, and left alone a while: what the process holds once the burst's garbage is gone.
  await new Promise((r) => setTimeout(r, 5000));
  const parked = memory();
  const rssParked = parked.rss;
  say(
    `${want} approvals pending after ${fmt(parkSeconds)} s; before: ${memoryLine(before)}; parked: ${memoryLine(parked)}`,
  );
  if (process.env.BENCH_HEAP_SNAPSHOT === '1')
    say(`heap snapshot of the main thread: ${v8.writeHeapSnapshot(path.join(runDir, 'parked.heapsnapshot'))}`);

  say(`timing ${s.listRequests} GET /v1/approvals?status=pending, one at a time`);
  const list = await runClosedLoop(s.listRequests, 1, async () => {
    const res = await apiRequest(platform.url, org.adminKey, 'GET', '/v1/approvals?status=pending&limit=50');
    const ok = res.status === 200 && (res.body as { data: unknown[] }).data.length === Math.min(50, want);
    return { ok, ...(ok ? {} : { error: `${res.status} ${JSON.stringify(res.body).slice(0, 200)}` }) };
  });

  say(`deciding ${s.decisions} approvals one at a time (approve → invocation succeeded)`);
  const oldest = (await platform
    .db('approvals')
    .where({ org_id: org.orgId, status: 'pending' })
    .orderBy('created_at')
    .limit(s.decisions)
    .select('id', 'invocation_id')) as { id: string; invocation_id: string }[];
  const decide = await runClosedLoop(oldest.length, 1, async (i) => {
    const { id, invocation_id: invocationId } = oldest[i]!;
    await apiPost(platform.url, org.adminKey, `/v1/approvals/${id}/approve`, { comment: 'bench' }, 200);
    const res = await apiRequest(platform.url, org.adminKey, 'GET', `/v1/invocations/${invocationId}?wait=30`);
    const ok = res.status === 200 && (res.body as { status?: string }).status === 'succeeded';
    return { ok, ...(ok ? {} : { error: `${res.status} ${JSON.stringify(res.body).slice(0, 200)}` }) };
  });

  const okMs = (run: typeof list) => run.samples.filter((x) => x.ok).map((x) => x.ms);
  const listMs = summarize(okMs(list));
  const decisionMs = summarize(okMs(decide));
  const errors =
    park.samples.length - accepted + (list.samples.length - listMs.count) + (decide.samples.length - decisionMs.count);
  const report = {
    at: new Date().toISOString(),
    commit: checkout(),
    machine: machineInfo(loadAvg1mAtStart),
    config: s,
    parked: { accepted, pending: want, seconds: parkSeconds, perSecond: accepted / parkSeconds },
    rss: {
      beforeMiB: mib(rssBefore),
      parkedMiB: mib(rssParked),
      mainHeapMiB: { before: mib(before.heapUsed), parked: mib(parked.heapUsed) },
      externalMiB: { before: mib(before.external), parked: mib(parked.external) },
      maxCachedWorkflows: process.env.WORKER_MAX_CACHED_WORKFLOWS ?? 'SDK default',
      targetMiB: mib(TARGETS.rssBytes),
      pass: rssParked <= TARGETS.rssBytes,
    },
    list: { latencyMs: listMs, targetP50Ms: TARGETS.listP50Ms, pass: listMs.p50 <= TARGETS.listP50Ms },
    decision: {
      latencyMs: decisionMs,
      targetP50Ms: TARGETS.decisionP50Ms,
      pass: decisionMs.p50 <= TARGETS.decisionP50Ms,
    },
    errors,
    firstErrors: [...park.firstErrors, ...list.firstErrors, ...decide.firstErrors].slice(0, 5),
  };
  const file = writeResults(RESULTS_DIR, 'approvals', report);
  const v = (pass: boolean) => (pass ? 'PASS' : 'MISS');
  process.stdout.write(
    [
      '',
      `bench/approvals at ${report.commit} — ${want} approvals pending (${accepted} parked in ${fmt(parkSeconds)} s, ${fmt(report.parked.perSecond)}/s)`,
      `machine: ${report.machine.cpus} × ${report.machine.cpuModel}, Node ${report.machine.node}; load average ${fmt(loadAvg1mAtStart, 2)} at start`,
      `RSS of the API+worker process: ${fmt(mib(rssBefore))} MiB before, ${fmt(mib(rssParked))} MiB parked   target ≤ 1024 MiB   ${v(report.rss.pass)}`,
      `GET /v1/approvals?status=pending (${listMs.count}): p50 ${fmt(listMs.p50)} ms, p99 ${fmt(listMs.p99)} ms   target p50 ≤ ${TARGETS.listP50Ms} ms   ${v(report.list.pass)}`,
      `approve → invocation succeeded (${decisionMs.count}): p50 ${fmt(decisionMs.p50)} ms, p99 ${fmt(decisionMs.p99)} ms   target p50 ≤ ${TARGETS.decisionP50Ms} ms   ${v(report.decision.pass)}`,
      errors ? `errors: ${errors} (first: ${report.firstErrors.join(' | ')})` : 'errors: 0',
      '',
      `results: ${path.relative(process.cwd(), file)}`,
      '',
    ].join('\n'),
  );
  return errors > 0 ? 1 : 0;
});
