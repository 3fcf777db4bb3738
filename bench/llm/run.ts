// `npm run bench:llm`: the overhead of an LLM step through Collexa's gateway (cache lookup + call + record),
// and of the same step as a Temporal activity, against a direct AI SDK generateText call to the same wire
// server, all in one run. A latency benchmark: one operation at a time, paths rotated every round.
// Env: BENCH_N (300), BENCH_ROUNDS (10), BENCH_WARMUP (30). Exits 0 with a table; 1 if an operation failed.
import os from 'node:os';
import { RESULTS_DIR, benchLogger, checkout, intEnv, machineInfo, runBenchmark, say } from '../lib/harness.js';
import { combineRounds, runClosedLoop, runRotating, type OpOutcome } from '../lib/load.js';
import { startBenchStack } from '../lib/stack.js';
import { LLM_PATHS, formatReport, writeReport, type LlmPath, type LlmReport } from './report.js';
import { startLlmBench } from './setup.js';

const settings = () => {
  const s = { n: intEnv('BENCH_N', 300), rounds: intEnv('BENCH_ROUNDS', 10), warmup: intEnv('BENCH_WARMUP', 30) };
  if (s.rounds > s.n) throw new Error(`BENCH_ROUNDS (${s.rounds}) must not exceed BENCH_N (${s.n})`);
  return s;
};

await runBenchmark(settings, async ({ runDir, started, settings: s }) => {
  const loadAvg1mAtStart = os.loadavg()[0]!;
  benchLogger(runDir); // the Temporal SDK's own log lines go to the run's log file, not the table
  say(`starting Temporal dev server and PostgreSQL (temp dir ${runDir})`);
  const stack = await startBenchStack(runDir);
  started.push(stack);
  const bench = await startLlmBench(stack);
  started.push(bench);

  // Each operation checks the wire server's echo, so a wrong or cached-when-it-should-not-be answer fails it.
  const expect = (text: string, prompt: string): OpOutcome =>
    text === `echo: ${prompt}` ? { ok: true } : { ok: false, error: `unexpected answer ${text.slice(0, 80)}` };
  const unique = (path: string, i: number) => `${path} ${i} ${Math.random()}`;
  const HIT_PROMPT = 'the same prompt every time';
  const hitRequest = {
    orgId: bench.orgId,
    purpose: 'bench',
    messages: [{ role: 'user' as const, content: HIT_PROMPT }],
  };
  await bench.gateway.generate(hitRequest); // the entry every gateway-hit operation reads
  const ops: Record<LlmPath, (i: number) => Promise<OpOutcome>> = {
    direct: async (i) => {
      const p = unique('direct', i);
      return expect(await bench.direct(p), p);
    },
    'gateway-miss': async (i) => {
      const p = unique('miss', i);
      const r = await bench.gateway.generate({
        orgId: bench.orgId,
        purpose: 'bench',
        messages: [{ role: 'user', content: p }],
      });
      return r.cacheHit ? { ok: false, error: 'unexpected cache hit' } : expect(r.text, p);
    },
    'gateway-hit': async () => {
      const r = await bench.gateway.generate(hitRequest);
      return r.cacheHit ? expect(r.text, HIT_PROMPT) : { ok: false, error: 'expected a cache hit' };
    },
    'activity-direct': async (i) => {
      const p = unique('activity-direct', i);
      return expect(await bench.step('direct', p), p);
    },
    'activity-gateway': async (i) => {
      const p = unique('activity-gateway', i);
      return expect(await bench.step('gateway', p), p);
    },
  };

  say(`warming up (${s.warmup} ops per path)`);
  for (const path of LLM_PATHS) {
    const run = await runClosedLoop(s.warmup, 1, ops[path]);
    if (run.samples.some((x) => !x.ok)) throw new Error(`${path} warm-up failed: ${run.firstErrors.join('; ')}`);
  }
  say(`measuring ${s.n} ops per path in ${s.rounds} rounds, one at a time`);
  const { runs, order } = await runRotating(ops, { n: s.n, rounds: s.rounds, concurrency: 1, pauseMs: 100 });
  const paths = combineRounds(LLM_PATHS, runs);
  const report: LlmReport = {
    at: new Date().toISOString(),
    commit: checkout(),
    machine: machineInfo(loadAvg1mAtStart),
    config: s,
    order,
    paths,
  };
  for (const line of formatReport(report)) process.stdout.write(`${line}\n`);
  say(`results: ${writeReport(RESULTS_DIR, report)}`);
  return LLM_PATHS.some((p) => paths[p].errors > 0) ? 1 : 0;
});
