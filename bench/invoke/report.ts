// The table bench/invoke prints and the JSON it writes.
import type { PathResult } from '../lib/load.js';
import { fmt as f, pairs, writeResults } from '../lib/report.js';
import type { PolicyResult } from './policy.js';

export const THROUGHPUT_RATIO_TARGET = 0.8;
export const POLICY_P50_TARGET_US = 50;

/** Everything one run measured, as written to bench/results/invoke-latest.json. */
export interface InvokeReport {
  at: string;
  /** The checkout measured: short commit, `+dirty` when tracked files differ from it. */
  commit: string;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGb: number;
    node: string;
    platform: string;
    loadAvg1mAtStart: number;
    loadAvg1mAtEnd: number;
  };
  config: { n: number; concurrency: number; rounds: number; order: string; warmup: number; policyCalls: number };
  baseline: PathResult;
  collexa: PathResult;
  throughputRatio: { value: number; target: number; pass: boolean };
  policy: PolicyResult & { targetP50Us: number; pass: boolean };
  breakdownMs: { baseline: Record<string, number>; collexa: Record<string, number> };
  /** CPU ms per operation by process during the measured phases ('bench process' = API, both workers and the load driver). */
  cpuMsPerOp: { baseline: Record<string, number>; collexa: Record<string, number> };
  /** With BENCH_PROFILE=1: one more Collexa phase under the CPU profiler, and the statements each pool sent. */
  profile?: {
    ops: number;
    /** The .cpuprofile (Chrome DevTools opens it). */
    file: string;
    statementsPerOp: { api: Record<string, number>; worker: Record<string, number> };
    /** Each statement's text (160 chars) and how often one operation sent it, per pool. */
    statementTexts: Record<'api' | 'worker', { sql: string; perOp: number }[]>;
    /** Self CPU ms per operation in this process by the code that spent it. */
    cpuMsPerOpByArea: { area: string; ms: number }[];
  };
}

const verdict = (pass: boolean) => (pass ? 'PASS' : 'MISS');

/** The human-readable report. */
export function formatReport(r: InvokeReport): string {
  const rows = [
    ['path', 'ok', 'errors', 'ops/s', 'p50 ms', 'p99 ms', 'mean ms', 'per round ops/s'],
    ...(
      [
        ['baseline: Temporal noop workflow', r.baseline],
        ['Collexa: POST invoke?wait=30', r.collexa],
      ] as const
    ).map(([name, p]) => [
      name,
      String(p.succeeded),
      String(p.errors),
      f(p.throughput),
      f(p.latencyMs.p50),
      f(p.latencyMs.p99),
      f(p.latencyMs.mean),
      p.perRoundThroughput.map((t) => f(t)).join(' / '),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const table = rows.map((row) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
  );
  const { throughputRatio: ratio, policy } = r;
  return [
    `bench/invoke at ${r.commit} — ${r.config.n} ops per path, concurrency ${r.config.concurrency}, ${r.config.rounds} rounds (${r.config.order}), warm-up ${r.config.warmup} each`,
    `machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGb} GB, Node ${r.machine.node}, ${r.machine.platform}; load average (1 min) ${f(r.machine.loadAvg1mAtStart, 2)} at start, ${f(r.machine.loadAvg1mAtEnd, 2)} at end`,
    '',
    ...table,
    '',
    `throughput Collexa/baseline   ${f(ratio.value, 2)}   target ≥ ${f(ratio.target, 2)}   ${verdict(ratio.pass)}`,
    `policy decideInvoke (${policy.calls} calls)   p50 ${f(policy.p50, 1)} µs   p99 ${f(policy.p99, 1)} µs   target p50 ≤ ${policy.targetP50Us} µs   ${verdict(policy.pass)}`,
    '',
    'median ms per operation, from the histories of sampled workflows (activity = scheduled → completed):',
    `  baseline: ${pairs(r.breakdownMs.baseline)}`,
    `  Collexa:  ${pairs(r.breakdownMs.collexa)}`,
    '',
    'CPU ms per operation during the measured phases, by process (bench process = API, both workers, load driver):',
    `  baseline: ${pairs(r.cpuMsPerOp.baseline)}`,
    `  Collexa:  ${pairs(r.cpuMsPerOp.collexa)}`,
    ...(r.profile
      ? [
          '',
          `profiled phase (${r.profile.ops} ops; ${r.profile.file}):`,
          `  statements per op: API ${pairs(r.profile.statementsPerOp.api)}; worker ${pairs(r.profile.statementsPerOp.worker)}`,
          '  self CPU ms per op in the bench process, by code:',
          ...r.profile.cpuMsPerOpByArea.map(({ area, ms }) => `    ${f(ms, 2).padStart(6)}  ${area}`),
        ]
      : []),
    ...(r.baseline.firstErrors.length + r.collexa.firstErrors.length > 0
      ? [
          '',
          'first errors:',
          ...r.baseline.firstErrors.map((e) => `  baseline: ${e}`),
          ...r.collexa.firstErrors.map((e) => `  Collexa: ${e}`),
        ]
      : []),
  ].join('\n');
}

/** Writes the report as JSON into dir (git-ignored bench/results/). */
export function writeReport(dir: string, r: InvokeReport): string {
  return writeResults(dir, 'invoke', r);
}
