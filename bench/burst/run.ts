// `npm run bench:burst`: a reliability bench. BENCH_BURST (1000) invocations of a low-risk capability whose
// tool is not idempotent (the fixture's `record`: exactly once or not at all) are sent BENCH_CONCURRENCY (32)
// at a time, alternately to two API processes, while two worker processes share the task queue, all against
// one Temporal dev server and one PostgreSQL. Once BENCH_KILL_AFTER (a third of the burst) are accepted, one
// worker is killed with SIGKILL. Then it waits (at most BENCH_DRAIN_TIMEOUT_S, 300) for every accepted
// invocation to reach a final state and checks, from PostgreSQL and the MCP server's own call log:
//   lost: accepted, but no row or no final state; duplicated: a row the API made twice for one request, or a
//   tool the server saw called more than once for one invocation. Both must be 0. An invocation whose call
//   was in flight on the killed worker may end failed (tool_call_indeterminate): final, and not repeated.
// Reported: requests refused, accepted, final states, the time the burst took and the time to drain after it.
// Exits 0 when nothing was lost or duplicated, 1 otherwise or if the run broke, 2 on a bad setting.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { generateMasterKey } from '../../core/crypto/master-key.js';
import { createDb } from '../../core/db/knex.js';
import { IdentityService } from '../../core/identity/identity.service.js';
import { startAppProcess } from '../../scripts/dev/app-process.js';
import { freePort, type ManagedProcess } from '../../scripts/dev/processes.js';
import { apiPost, createBenchOrg } from '../lib/collexa.js';
import { RESULTS_DIR, checkout, intEnv, machineInfo, runBenchmark, say } from '../lib/harness.js';
import { runClosedLoop } from '../lib/load.js';
import { fmt, writeResults } from '../lib/report.js';
import { startStackWithFixture } from '../lib/stack.js';

const FINAL = ['succeeded', 'failed', 'denied', 'expired', 'cancelled'];

const settings = () => {
  const burst = intEnv('BENCH_BURST', 1000);
  const s = {
    burst,
    concurrency: intEnv('BENCH_CONCURRENCY', 32),
    killAfter: intEnv('BENCH_KILL_AFTER', Math.floor(burst / 3)),
    drainTimeoutS: intEnv('BENCH_DRAIN_TIMEOUT_S', 300),
  };
  if (s.killAfter >= s.burst)
    throw new Error(`BENCH_KILL_AFTER (${s.killAfter}) must be below BENCH_BURST (${s.burst})`);
  return s;
};

/** One POST to an API process; a refused connection or a 5xx is retried on the other one with the same key. */
async function invokeOnce(apis: string[], key: string, agentId: string, i: number, idempotencyKey: string) {
  let last = '';
  for (let attempt = 0; attempt < 4; attempt++) {
    const url = apis[(i + attempt) % apis.length]!;
    try {
      const res = await fetch(`${url}/v1/agents/${agentId}/invoke`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'idempotency-key': idempotencyKey,
        },
        body: JSON.stringify({ capability: 'note', input: { note: idempotencyKey } }),
      });
      const body = (await res.json().catch(() => ({}))) as { id?: string; invocationId?: string };
      const id = body.invocationId ?? body.id;
      if (res.status === 202 && id) return { ok: true as const, id, refused: attempt };
      last = `${res.status} ${JSON.stringify(body).slice(0, 200)}`;
      if (res.status < 500) break;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
  }
  return { ok: false as const, error: last, refused: 4 };
}

await runBenchmark(settings, async ({ runDir, started, settings: s }) => {
  const loadAvg1mAtStart = os.loadavg()[0]!;
  const { stack, fixture } = await startStackWithFixture(runDir, started);
  const bundlePath = path.join(runDir, 'workflow-bundle.js');
  writeFileSync(bundlePath, stack.collexaBundle.code);

  // The processes a production deployment would run, configured as one: same database, Temporal, task queue, key.
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DATABASE_URL: stack.databaseUrl,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_TASK_QUEUE: 'bench-burst',
    POLICY_DIR: stack.policyDir,
    WORKFLOW_BUNDLE_PATH: bundlePath,
    COLLEXA_MASTER_KEY: generateMasterKey(),
    COLLEXA_DATA_DIR: path.join(runDir, 'data'),
    STRIPE_API_BASE: stack.stripeApiBase,
    EGRESS_ALLOW: '127.0.0.1',
  };
  const procs: ManagedProcess[] = [];
  started.push({ stop: async () => void (await Promise.allSettled(procs.map((p) => p.stop(10_000)))) });
  const start = async (kind: 'api' | 'worker', n: number, extra: Record<string, string> = {}) => {
    const proc = await startAppProcess({
      kind,
      name: `${kind}-${n}`,
      env: { ...env, ...extra },
      logFile: path.join(runDir, `${kind}-${n}.log`),
    });
    procs.push(proc);
    return proc;
  };
  say('starting 2 workers and 2 API processes');
  const [worker1] = await Promise.all([start('worker', 1), start('worker', 2)]);
  const ports = [await freePort(), await freePort()];
  await Promise.all(ports.map((port, n) => start('api', n + 1, { PORT: String(port), HOST: '127.0.0.1' })));
  const apis = ports.map((port) => `http://127.0.0.1:${port}`);

  const db = createDb(stack.databaseUrl, 2);
  started.push({ stop: () => db.destroy() });
  const org = await createBenchOrg(new IdentityService(db), 'burst');
  await apiPost(
    apis[0]!,
    org.adminKey,
    '/v1/mcp-servers',
    {
      name: 'burst-mcp',
      transport: 'http',
      url: fixture.url,
      limits: { ratePerSecond: 10_000, orgRatePerSecond: 10_000, maxConcurrency: 1000 },
    },
    201,
  );
  const agent = (await apiPost(
    apis[0]!,
    org.adminKey,
    '/v1/agents',
    {
      name: 'burst-agent',
      capabilities: [{ name: 'note', server: 'burst-mcp', tool: 'record', risk: 'low' }],
    },
    201,
  )) as { id: string };

  const runId = `burst-${Date.now()}`;
  const accepted = new Map<number, string>();
  let refused = 0;
  let killedAt: number | undefined;
  say(`sending ${s.burst} invocations, ${s.concurrency} at a time; killing worker-1 after ${s.killAfter} are accepted`);
  const burstStarted = Date.now();
  const burst = await runClosedLoop(s.burst, s.concurrency, async (i) => {
    const r = await invokeOnce(apis, org.developerKey, agent.id, i, `${runId}-${i}`);
    refused += r.refused;
    if (!r.ok) return { ok: false, error: r.error };
    accepted.set(i, r.id);
    if (accepted.size >= s.killAfter && killedAt === undefined) {
      killedAt = Date.now();
      say(`  ${accepted.size} accepted: SIGKILL worker-1`);
      if (worker1.child.pid) process.kill(-worker1.child.pid, 'SIGKILL');
    }
    return { ok: true };
  });
  const burstSeconds = (Date.now() - burstStarted) / 1000;
  const ids = [...new Set(accepted.values())];
  say(
    `burst done in ${fmt(burstSeconds)} s: ${ids.length} accepted, ${burst.firstErrors.length ? burst.firstErrors[0] : 'no errors'}`,
  );

  const counts = async () =>
    (await db('invocations')
      .where({ org_id: org.orgId })
      .groupBy('status')
      .select('status', db.raw('count(*)::int as n'))) as { status: string; n: number }[];
  const drainStarted = Date.now();
  let byStatus: Record<string, number> = {};
  for (;;) {
    byStatus = Object.fromEntries((await counts()).map((r) => [r.status, r.n]));
    const open = Object.entries(byStatus)
      .filter(([st]) => !FINAL.includes(st))
      .reduce((a, [, n]) => a + n, 0);
    if (open === 0) break;
    if (Date.now() - drainStarted > s.drainTimeoutS * 1000) {
      say(`drain timed out with ${open} not final`);
      break;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const drainSeconds = (Date.now() - drainStarted) / 1000;

  // The truth from both sides: PostgreSQL's rows and the MCP server's own log of tools/call requests.
  const rows = (await db('invocations').where({ org_id: org.orgId }).select('id', 'status', 'error')) as {
    id: string;
    status: string;
    error: { code?: string } | null;
  }[];
  const calls = (await (await fetch(new URL('/calls', fixture.url))).json()) as {
    meta?: { idempotencyKey?: string };
  }[];
  const callsPer = new Map<string, number>();
  for (const c of calls) {
    const key = c.meta?.idempotencyKey;
    if (key) callsPer.set(key, (callsPer.get(key) ?? 0) + 1);
  }
  const final = rows.filter((r) => FINAL.includes(r.status));
  const finalIds = new Set(final.map((r) => r.id));
  const lost = ids.filter((id) => !finalIds.has(id)).length;
  const duplicateRows = rows.length - ids.length;
  const duplicateCalls = [...callsPer.values()].filter((n) => n > 1).length;
  const succeededWithoutCall = rows.filter((r) => r.status === 'succeeded' && !callsPer.has(r.id)).length;
  const failedCodes: Record<string, number> = {};
  for (const r of rows.filter((x) => x.status === 'failed'))
    failedCodes[r.error?.code ?? 'unknown'] = (failedCodes[r.error?.code ?? 'unknown'] ?? 0) + 1;
  const ok =
    lost === 0 && duplicateRows === 0 && duplicateCalls === 0 && succeededWithoutCall === 0 && killedAt !== undefined;

  const report = {
    at: new Date().toISOString(),
    commit: checkout(),
    machine: machineInfo(loadAvg1mAtStart),
    config: s,
    processes: {
      workers: 2,
      apis: 2,
      killed: 'worker-1 (SIGKILL)',
      killedAfterSeconds: killedAt ? (killedAt - burstStarted) / 1000 : null,
    },
    requests: { sent: s.burst, accepted: ids.length, refusedAttempts: refused, notAccepted: s.burst - ids.length },
    final: byStatus,
    failedCodes,
    toolCalls: { total: calls.length, invocationsCalled: callsPer.size },
    lost,
    duplicateRows,
    duplicateCalls,
    succeededWithoutCall,
    burstSeconds,
    drainSeconds,
    pass: ok,
  };
  const file = writeResults(RESULTS_DIR, 'burst', report);
  const v = (pass: boolean) => (pass ? 'PASS' : 'FAIL');
  process.stdout.write(
    [
      '',
      `bench/burst at ${report.commit} — ${s.burst} invocations, 2 workers + 2 APIs, worker-1 killed after ${s.killAfter} accepted`,
      `machine: ${report.machine.cpus} × ${report.machine.cpuModel}, Node ${report.machine.node}; load average ${fmt(loadAvg1mAtStart, 2)} at start`,
      `accepted ${ids.length}/${s.burst} (refused attempts retried: ${refused}); final: ${JSON.stringify(byStatus)}${Object.keys(failedCodes).length ? `; failed: ${JSON.stringify(failedCodes)}` : ''}`,
      `lost ${lost}, duplicated rows ${duplicateRows}, tools called twice ${duplicateCalls}, succeeded without a call ${succeededWithoutCall}   ${v(ok)}`,
      `burst ${fmt(burstSeconds)} s, then drained in ${fmt(drainSeconds)} s`,
      '',
      `results: ${path.relative(process.cwd(), file)}`,
      '',
    ].join('\n'),
  );
  return ok ? 0 : 1;
});
