// `npm run bench:invoke`: auto-approved Collexa invocations over the HTTP API against bare Temporal
// workflows with one no-op activity, on the same Temporal dev server in one run, plus the time of one
// policy decision. Env: BENCH_N (200), BENCH_CONCURRENCY (8), BENCH_ROUNDS (2), BENCH_WARMUP (20),
// BENCH_POLICY_CALLS (20000), BENCH_LOG_LEVEL (info), BENCH_PROFILE (1: one more, profiled Collexa phase). Exits 0 on a MISS; non-zero only on errors.
import os from 'node:os';
import path from 'node:path';
import { cpuDelta, cpuSnapshot, type CpuMs } from '../lib/cpu.js';
import { latencyBreakdown } from '../lib/history.js';
import { countStatements, selfTimeByArea, startCpuProfile } from '../lib/profile.js';
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
import { startStackWithFixture } from '../lib/stack.js';
import { startBaseline, type Baseline } from './baseline.js';
import { startCollexa, type Collexa } from './collexa.js';
import { benchPolicy } from './policy.js';
import {
  POLICY_P50_TARGET_US,
  THROUGHPUT_RATIO_TARGET,
  formatReport,
  writeReport,
  type InvokeReport,
} from './report.js';

const perOp = (cpu: CpuMs, ops: number): CpuMs => Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, v / ops]));

type Settings = { n: number; concurrency: number; rounds: number; warmup: number; policyCalls: number };

async function main({
  runDir,
  started,
  settings,
}: {
  runDir: string;
  started: Stoppable[];
  settings: Settings;
}): Promise<number> {
  const { n, concurrency, rounds, warmup, policyCalls } = settings;
  // Other work on the machine skews both paths; the load average in the report shows whether there was any.
  const loadAvg1mAtStart = os.loadavg()[0]!;
  const logger = benchLogger(runDir);

  const { stack, fixture: mcp } = await startStackWithFixture(runDir, started);
  const baseline: Baseline = await startBaseline(stack.temporalAddress);
  started.push(baseline);
  const collexa: Collexa = await startCollexa({ stack, mcpUrl: mcp.url, logger });
  started.push(collexa);

  say(`warming up (${warmup} ops each, concurrency ${concurrency})`);
  const mustPass = (what: string, run: PhaseRun) => {
    if (run.samples.some((s) => !s.ok)) throw new Error(`${what} warm-up failed: ${run.firstErrors.join('; ')}`);
  };
  mustPass('baseline', await runClosedLoop(warmup, concurrency, () => baseline.op()));
  mustPass('Collexa', await runClosedLoop(warmup, concurrency, (i) => collexa.op(i)));

  // Alternating order per round (B C, C B, ...) so drift over the run weighs on both paths alike.
  const runs: { baseline: PhaseRun[]; collexa: PhaseRun[] } = { baseline: [], collexa: [] };
  const cpu: { baseline: CpuMs; collexa: CpuMs } = { baseline: {}, collexa: {} };
  const roots = { temporal: stack.pids.temporal, postgres: stack.pids.postgres, 'mcp server': mcp.pid };
  const order: string[] = [];
  let opIndex = 0;
  for (let r = 0; r < rounds; r++) {
    const size = Math.floor(n / rounds) + (r < n % rounds ? 1 : 0);
    const phases: ['baseline' | 'collexa', (i: number) => Promise<OpOutcome>][] = [
      ['baseline', () => baseline.op()],
      ['collexa', () => collexa.op(opIndex++)],
    ];
    if (r % 2 === 1) phases.reverse();
    for (const [name, op] of phases) {
      await new Promise((resolve) => setTimeout(resolve, 1000)); // let the previous phase's tail settle
      const before = cpuSnapshot(roots);
      const run = await runClosedLoop(size, concurrency, op);
      for (const [k, v] of Object.entries(cpuDelta(before, cpuSnapshot(roots)))) cpu[name][k] = (cpu[name][k] ?? 0) + v;
      runs[name].push(run);
      order.push(name === 'baseline' ? 'B' : 'C');
      const ok = run.samples.filter((s) => s.ok).length;
      say(
        `round ${r + 1}/${rounds} ${name}: ${ok}/${size} ok in ${(run.wallMs / 1000).toFixed(2)} s (${(ok / (run.wallMs / 1000)).toFixed(1)} ops/s)`,
      );
    }
  }

  say('reading sampled workflow histories for the latency breakdown');
  const breakdownMs = {
    baseline: await latencyBreakdown(
      baseline.client,
      runs.baseline.flatMap((r) => r.samples.filter((s) => s.ok)),
    ),
    collexa: await latencyBreakdown(
      collexa.client,
      runs.collexa.flatMap((r) => r.samples.filter((s) => s.ok)),
    ),
  };

  // Profiled apart from the measured rounds, so the profiler's own cost weighs on no ratio.
  let profile: InvokeReport['profile'];
  if (process.env.BENCH_PROFILE === '1') {
    const size = Math.floor(n / rounds);
    say(`profiling ${size} more Collexa operations (CPU profile of this process, statements per pool)`);
    const statements = { api: countStatements(collexa.pools.api), worker: countStatements(collexa.pools.worker) };
    const profiler = await startCpuProfile();
    const run = await runClosedLoop(size, concurrency, (i) => collexa.op(opIndex + i));
    const file = path.join(RESULTS_DIR, 'invoke-collexa.cpuprofile');
    const cpuProfile = await profiler.stop(file);
    statements.api.stop();
    statements.worker.stop();
    const ops = run.samples.filter((s) => s.ok).length || 1;
    const perOpCounts = (c: Record<string, number>) =>
      Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v / ops]));
    profile = {
      ops,
      file,
      statementsPerOp: {
        api: perOpCounts(statements.api.counts),
        worker: perOpCounts(statements.worker.counts),
      },
      // Each statement's text with how many times an operation sent it: where a round trip could go.
      statementTexts: {
        api: [...statements.api.bySql].map(([sql, count]) => ({ sql, perOp: count / ops })),
        worker: [...statements.worker.bySql].map(([sql, count]) => ({ sql, perOp: count / ops })),
      },
      cpuMsPerOpByArea: selfTimeByArea(cpuProfile)
        .slice(0, 30)
        .map(({ area, ms }) => ({ area, ms: ms / ops })),
    };
  }

  say(`timing ${policyCalls} policy decisions`);
  const policy = await benchPolicy(stack.policyDir, policyCalls, Math.min(2000, policyCalls));

  const b = combine(runs.baseline);
  const c = combine(runs.collexa);
  const ratio = c.throughput / b.throughput;
  const report: InvokeReport = {
    at: new Date().toISOString(),
    commit: checkout(),
    machine: machineInfo(loadAvg1mAtStart),
    config: { n, concurrency, rounds, order: order.join(' '), warmup, policyCalls },
    baseline: b,
    collexa: c,
    throughputRatio: { value: ratio, target: THROUGHPUT_RATIO_TARGET, pass: ratio >= THROUGHPUT_RATIO_TARGET },
    policy: { ...policy, targetP50Us: POLICY_P50_TARGET_US, pass: policy.p50 <= POLICY_P50_TARGET_US },
    breakdownMs,
    cpuMsPerOp: { baseline: perOp(cpu.baseline, b.ops), collexa: perOp(cpu.collexa, c.ops) },
    ...(profile ? { profile } : {}),
  };
  const file = writeReport(RESULTS_DIR, report);
  process.stdout.write(`\n${formatReport(report)}\n\nresults: ${path.relative(process.cwd(), file)}\n`);
  return b.errors + c.errors > 0 ? 1 : 0;
}

await runBenchmark((): Settings => {
  const settings = {
    n: intEnv('BENCH_N', 200),
    concurrency: intEnv('BENCH_CONCURRENCY', 8),
    rounds: intEnv('BENCH_ROUNDS', 2),
    warmup: intEnv('BENCH_WARMUP', 20),
    policyCalls: intEnv('BENCH_POLICY_CALLS', 20_000),
  };
  if (settings.rounds > settings.n)
    throw new Error(`BENCH_ROUNDS (${settings.rounds}) must not exceed BENCH_N (${settings.n})`);
  return settings;
}, main);
