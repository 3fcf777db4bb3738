// `npm run bench:sandbox`: how long a sandbox takes to start and stop (mock: Prism; emulated: the emulator
// and its database), and the same listIssues call through Collexa with a sandbox against the same call
// straight to the sandbox's Prism and against a bare Temporal workflow with one no-op activity, all on one
// Temporal dev server in one run. Env: BENCH_SANDBOXES (10 per mode), BENCH_LIFECYCLE_ROUNDS (10),
// BENCH_POLL_MS (20), BENCH_N (200), BENCH_ROUNDS (20), BENCH_WARMUP (20), BENCH_THINK_MS (100),
// BENCH_LOG_LEVEL (info). Exits 0 with a table; 1 if an operation failed or the run broke; 2 on a bad setting.
import os from 'node:os';
import path from 'node:path';
import { startBaseline } from '../invoke/baseline.js';
import { createBenchOrg, startCollexaPlatform } from '../lib/collexa.js';
import { RESULTS_DIR, benchLogger, checkout, intEnv, machineInfo, runBenchmark, say } from '../lib/harness.js';
import { runClosedLoop } from '../lib/load.js';
import { startBenchStack } from '../lib/stack.js';
import { CALL_PATHS, callOps, measureCalls } from './calls.js';
import { measureLifecycle } from './lifecycle.js';
import { formatReport, writeReport, type SandboxReport } from './report.js';
import { createIssuesAgent, createSandbox, deleteSandbox, waitForStatus, type SandboxTarget } from './sandboxes.js';

const settings = () => {
  const s = {
    sandboxes: intEnv('BENCH_SANDBOXES', 10),
    lifecycleRounds: intEnv('BENCH_LIFECYCLE_ROUNDS', 10),
    pollMs: intEnv('BENCH_POLL_MS', 20),
    n: intEnv('BENCH_N', 200),
    rounds: intEnv('BENCH_ROUNDS', 20),
    warmup: intEnv('BENCH_WARMUP', 20),
    thinkMs: intEnv('BENCH_THINK_MS', 100),
  };
  if (s.rounds > s.n) throw new Error(`BENCH_ROUNDS (${s.rounds}) must not exceed BENCH_N (${s.n})`);
  if (s.lifecycleRounds > s.sandboxes)
    throw new Error(`BENCH_LIFECYCLE_ROUNDS (${s.lifecycleRounds}) must not exceed BENCH_SANDBOXES (${s.sandboxes})`);
  return s;
};

await runBenchmark(settings, async ({ runDir, started, settings: s }) => {
  const loadAvg1mAtStart = os.loadavg()[0]!;
  const logger = benchLogger(runDir);

  say(`starting Temporal dev server and PostgreSQL, building bundles (temp dir ${runDir})`);
  const stack = await startBenchStack(runDir);
  started.push(stack);
  const baseline = await startBaseline(stack.temporalAddress);
  started.push(baseline);
  // The calls phase holds two sandboxes while a failed lifecycle cycle may still be tearing one down: room
  // above the default of 5, so the org limit is never what a run measures.
  const platform = await startCollexaPlatform({ stack, logger, env: { SANDBOX_MAX_PER_ORG: '20' } });
  started.push(platform);
  const org = await createBenchOrg(platform.identity, 'bench sandbox');
  const { agentId } = await createIssuesAgent(platform.url, org.adminKey);
  const target: SandboxTarget = { url: platform.url, developerKey: org.developerKey, agentId };

  say(`lifecycle: ${s.sandboxes} sandboxes per mode (create → running, DELETE → stopped), one at a time`);
  const lifecycle = await measureLifecycle(target, { n: s.sandboxes, rounds: s.lifecycleRounds, pollMs: s.pollMs });

  say('starting one mock and one emulated sandbox for the calls');
  const live: string[] = [];
  started.push({
    stop: async () => {
      for (const id of live) await deleteSandbox(target, id).catch(() => undefined);
      for (const id of live)
        await waitForStatus(target, id, 'stopped', { pollMs: 100, timeoutMs: 60_000 }).catch(() => undefined);
    },
  });
  const up = async (mode: 'mock' | 'emulated') => {
    const { id } = await createSandbox(target, mode);
    live.push(id);
    return waitForStatus(target, id, 'running', { pollMs: 100, timeoutMs: 120_000 });
  };
  const mock = await up('mock');
  const emulated = await up('emulated');
  const ops = callOps({
    ...target,
    mock: { id: mock.id, endpoint: mock.endpoint! },
    emulatedId: emulated.id,
    baseline,
  });

  say(`warming up (${s.warmup} calls per path, one at a time)`);
  for (const p of CALL_PATHS) {
    const run = await runClosedLoop(s.warmup, 1, () => ops[p]());
    if (run.samples.some((x) => !x.ok)) throw new Error(`${p} warm-up failed: ${run.firstErrors.join('; ')}`);
  }
  say(`measuring ${s.n} calls per path at concurrency 1 in ${s.rounds} rotating rounds, ${s.thinkMs} ms between`);
  const calls = await measureCalls(
    ops,
    { collexa: platform.client, bare: baseline.client },
    { n: s.n, rounds: s.rounds, thinkMs: s.thinkMs },
  );

  const report: SandboxReport = {
    at: new Date().toISOString(),
    commit: checkout(),
    machine: machineInfo(loadAvg1mAtStart),
    config: {
      sandboxes: s.sandboxes,
      lifecycleRounds: s.lifecycleRounds,
      n: s.n,
      rounds: s.rounds,
      warmup: s.warmup,
      thinkMs: s.thinkMs,
    },
    lifecycle,
    calls,
  };
  const file = writeReport(RESULTS_DIR, report);
  process.stdout.write(`\n${formatReport(report)}\n\nresults: ${path.relative(process.cwd(), file)}\n`);
  const errors =
    lifecycle.byMode.mock.errors +
    lifecycle.byMode.emulated.errors +
    CALL_PATHS.reduce((n, p) => n + calls.paths[p].errors, 0);
  return errors > 0 ? 1 : 0;
});
