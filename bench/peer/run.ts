// `npm run bench:peer`: the same MCP tool call (our test server's `add`) made straight to the server,
// through Collexa's /mcp/:agentId and through IBM ContextForge, in one run against one test server:
// latency at concurrency 1 (paths rotated every round), then throughput at concurrency C (Collexa and
// ContextForge alternating ABBA). Checks: Collexa ≥ 2× ContextForge's throughput at C, and Collexa's p99
// below ContextForge's p50 in latency added over the direct call. Optional: not in CI, not in
// bench/run-all.ts. Provisions ContextForge (scripts/provision-peer.sh) when .tools/peer lacks it.
// Env: BENCH_N (200), BENCH_ROUNDS (4), BENCH_WARMUP (20), BENCH_THINK_MS (100), BENCH_CONCURRENCY (8),
// BENCH_CF_SESSIONS (stateful | stateless), BENCH_LOG_LEVEL (info).
// Exits 0 on a MISS; 1 if an operation failed or the run broke; 2 on a bad setting.
import os from 'node:os';
import path from 'node:path';
import { createBenchOrg, createSumAgent, startCollexaPlatform } from '../lib/collexa.js';
import { cpuDelta, cpuSnapshot, type CpuMs } from '../lib/cpu.js';
import { latencyBreakdown } from '../lib/history.js';
import { RESULTS_DIR, benchLogger, checkout, intEnv, machineInfo, runBenchmark, say } from '../lib/harness.js';
import { combineRounds, runClosedLoop, runRotating, type OpOutcome, type PhaseRun } from '../lib/load.js';
import { startBenchStack, startMcpFixture } from '../lib/stack.js';
import { provisionContextForge, startContextForge, type SessionMode } from './contextforge.js';
import { GATEWAYS, PATHS, connectPaths, pathOps, type Endpoints, type Gateway } from './paths.js';
import { formatReport, peerChecks, writeReport, type PeerReport } from './report.js';

const settings = () => {
  const sessions = process.env.BENCH_CF_SESSIONS || 'stateful';
  if (sessions !== 'stateful' && sessions !== 'stateless')
    throw new Error(`BENCH_CF_SESSIONS must be stateful or stateless, got "${sessions}"`);
  const s = {
    n: intEnv('BENCH_N', 200),
    rounds: intEnv('BENCH_ROUNDS', 4),
    warmup: intEnv('BENCH_WARMUP', 20),
    thinkMs: intEnv('BENCH_THINK_MS', 100),
    concurrency: intEnv('BENCH_CONCURRENCY', 8),
    sessions: sessions as SessionMode,
  };
  if (s.rounds > s.n) throw new Error(`BENCH_ROUNDS (${s.rounds}) must not exceed BENCH_N (${s.n})`);
  return s;
};

await runBenchmark(settings, async ({ runDir, started, settings: s }) => {
  const loadAvg1mAtStart = os.loadavg()[0]!;
  await provisionContextForge(); // minutes on a fresh machine, a second once installed
  const logger = benchLogger(runDir);

  say(`starting the MCP test server, ContextForge, Temporal and PostgreSQL (temp dir ${runDir})`);
  const fixture = await startMcpFixture(runDir);
  started.push(fixture);
  // ContextForge's migrations take ~30 s: it starts while the Collexa stack does.
  const contextforge = startContextForge({ runDir, fixtureUrl: fixture.url, sessions: s.sessions });
  started.push(contextforge);
  const stack = await startBenchStack(runDir);
  started.push(stack);
  const platform = await startCollexaPlatform({ stack, logger });
  started.push(platform);
  const org = await createBenchOrg(platform.identity);
  const { agentId } = await createSumAgent(platform.url, org.adminKey, fixture.url);
  const cf = await contextforge.ready;
  say(`ContextForge ${cf.version} (${cf.python}) at ${cf.url}, ${s.sessions} sessions, tool ${cf.toolName}`);

  const endpoints: Endpoints = {
    direct: { url: fixture.url, tool: 'add' },
    collexa: { url: `${platform.url}/mcp/${agentId}`, bearer: org.developerKey, tool: 'sum' },
    contextforge: { url: cf.mcpUrl, bearer: cf.token, tool: cf.toolName },
  };
  const clients = await connectPaths(endpoints);
  started.push({ stop: async () => void (await Promise.all(Object.values(clients).map((c) => c.close()))) });
  const ops = pathOps(clients, endpoints, org.orgId);

  say(`warming up (${s.warmup} ops per path one at a time, then ${s.warmup} per gateway ${s.concurrency} at a time)`);
  const mustPass = (what: string, run: PhaseRun) => {
    if (run.samples.some((x) => !x.ok)) throw new Error(`${what} warm-up failed: ${run.firstErrors.join('; ')}`);
  };
  for (const p of PATHS) mustPass(p, await runClosedLoop(s.warmup, 1, (i) => ops[p](1_000_000 + i)));
  for (const p of GATEWAYS) mustPass(p, await runClosedLoop(s.warmup, s.concurrency, (i) => ops[p](1_500_000 + i)));

  say(`latency: ${s.n} ops per path at concurrency 1, ${s.thinkMs} ms apart, ${s.rounds} rotating rounds`);
  const latency = await runRotating(ops, {
    n: s.n,
    rounds: s.rounds,
    concurrency: 1,
    pauseMs: 200,
    thinkMs: s.thinkMs,
  });

  say(`throughput: ${s.n} ops per gateway at concurrency ${s.concurrency}, ${s.rounds} rounds ABBA`);
  const roots = {
    temporal: stack.pids.temporal,
    postgres: stack.pids.postgres,
    'mcp server': fixture.pid,
    contextforge: cf.pid,
  };
  const runs: Record<Gateway, PhaseRun[]> = { collexa: [], contextforge: [] };
  const cpu: Record<Gateway, CpuMs> = { collexa: {}, contextforge: {} };
  const order: string[] = [];
  let opIndex = 2_000_000;
  for (let r = 0; r < s.rounds; r++) {
    const size = Math.floor(s.n / s.rounds) + (r < s.n % s.rounds ? 1 : 0);
    const phases: Gateway[] = r % 2 === 0 ? ['collexa', 'contextforge'] : ['contextforge', 'collexa'];
    order.push(phases.join(' '));
    for (const p of phases) {
      await new Promise((resolve) => setTimeout(resolve, 1000)); // let the previous phase's tail settle
      const before = cpuSnapshot(roots);
      const run = await runClosedLoop(size, s.concurrency, (): Promise<OpOutcome> => ops[p](opIndex++));
      for (const [k, v] of Object.entries(cpuDelta(before, cpuSnapshot(roots)))) cpu[p][k] = (cpu[p][k] ?? 0) + v;
      runs[p].push(run);
      const ok = run.samples.filter((x) => x.ok).length;
      say(`  round ${r + 1}/${s.rounds} ${p}: ${ok}/${size} ok, ${(ok / (run.wallMs / 1000)).toFixed(1)} ops/s`);
    }
  }

  say('reading 30 sampled Collexa workflow histories per concurrency for the latency breakdown');
  const okSamples = (r: PhaseRun[]) => r.flatMap((x) => x.samples.filter((y) => y.ok));
  const collexaBreakdownMs = {
    c1: await latencyBreakdown(platform.client, okSamples(latency.runs.collexa), 30, { perTask: true }),
    cN: await latencyBreakdown(platform.client, okSamples(runs.collexa), 30, { perTask: true }),
  };
  const latencyPaths = combineRounds(PATHS, latency.runs);
  const throughputPaths = combineRounds(GATEWAYS, runs);
  const perOp = (p: Gateway): CpuMs =>
    Object.fromEntries(Object.entries(cpu[p]).map(([k, v]) => [k, v / (throughputPaths[p].succeeded || 1)]));
  const report: PeerReport = {
    at: new Date().toISOString(),
    commit: checkout(),
    machine: machineInfo(loadAvg1mAtStart),
    config: {
      n: s.n,
      rounds: s.rounds,
      warmup: s.warmup,
      thinkMs: s.thinkMs,
      concurrency: s.concurrency,
      contextforge: { version: cf.version, python: cf.python, sessions: s.sessions, workers: 1 },
    },
    latency: { order: latency.order, paths: latencyPaths },
    throughput: {
      order,
      paths: throughputPaths,
      cpuMsPerOp: { collexa: perOp('collexa'), contextforge: perOp('contextforge') },
    },
    collexaBreakdownMs,
    checks: peerChecks(latencyPaths, throughputPaths),
  };
  const file = writeReport(RESULTS_DIR, report);
  process.stdout.write(`\n${formatReport(report)}\n\nresults: ${path.relative(process.cwd(), file)}\n`);
  const errors =
    PATHS.reduce((n, p) => n + latencyPaths[p].errors, 0) + GATEWAYS.reduce((n, p) => n + throughputPaths[p].errors, 0);
  return errors > 0 ? 1 : 0;
});
