// The table bench/sandbox prints and the JSON it writes.
import type { MachineInfo } from '../lib/harness.js';
import type { Summary } from '../lib/load.js';
import { fmt as f, pairs, table, writeResults } from '../lib/report.js';
import { CALL_LABELS, CALL_PATHS, type CallsResult } from './calls.js';
import type { LifecycleResult } from './lifecycle.js';
import { SANDBOX_MODES } from './sandboxes.js';

/** Everything one run measured, as written to bench/results/sandbox-latest.json. */
export interface SandboxReport {
  at: string;
  commit: string;
  machine: MachineInfo;
  config: { sandboxes: number; lifecycleRounds: number; n: number; rounds: number; warmup: number; thinkMs: number };
  lifecycle: LifecycleResult;
  calls: CallsResult;
}

const cells = (s: Summary) => [f(s.p50), f(s.p90), f(s.p99), f(s.mean)];

/** The human-readable report. */
export function formatReport(r: SandboxReport): string {
  const { lifecycle: l, calls: c } = r;
  const mockRunning = l.byMode.mock.toRunning.p50;
  const errors = [
    ...l.firstErrors.map((e) => `  lifecycle: ${e}`),
    ...CALL_PATHS.flatMap((p) => c.paths[p].firstErrors.map((e) => `  ${p}: ${e}`)),
  ];
  return [
    `bench/sandbox at ${r.commit}`,
    `machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGb} GB, Node ${r.machine.node}, ${r.machine.platform}; load average (1 min) ${f(r.machine.loadAvg1mAtStart, 2)} at start, ${f(r.machine.loadAvg1mAtEnd, 2)} at end`,
    '',
    `lifecycle: ${r.config.sandboxes} sandboxes per mode, one at a time, in ${r.config.lifecycleRounds} rotating rounds; GET polled every ${l.pollMs} ms (ms)`,
    ...table([
      [
        'mode',
        'ok',
        'errors',
        'running p50',
        'p90',
        'p99',
        'mean',
        'server p50',
        'stopped p50',
        'p90',
        'p99',
        'mean',
        'running ÷ mock',
        'running ÷ bare',
      ],
      ...SANDBOX_MODES.map((m) => [
        m,
        String(l.byMode[m].ok),
        String(l.byMode[m].errors),
        ...cells(l.byMode[m].toRunning),
        f(l.byMode[m].serverToRunning.p50),
        ...cells(l.byMode[m].toStopped),
        `${f(l.byMode[m].toRunning.p50 / mockRunning, 2)}×`,
        `${f(l.byMode[m].toRunning.p50 / c.paths.bare.latencyMs.p50, 1)}×`,
      ]),
    ]),
    '  running = POST → first GET showing running; server = startedAt − createdAt; stopped = DELETE → first GET showing stopped; bare = the bare workflow p50 of the calls below',
    '',
    `GET /issues (listIssues), concurrency 1, ${r.config.n} per path in ${r.config.rounds} rotating rounds, ${c.thinkMs} ms (untimed) between operations, warm-up ${r.config.warmup} each (ms)`,
    ...table([
      ['path', 'ok', 'errors', 'p50', 'p90', 'p99', 'mean', 'p50 ÷ Prism', 'p50 ÷ bare', 'round p50s'],
      ...CALL_PATHS.map((p) => [
        CALL_LABELS[p],
        String(c.paths[p].succeeded),
        String(c.paths[p].errors),
        ...cells(c.paths[p].latencyMs),
        `${f(c.ratios[p].overPrism, 2)}×`,
        `${f(c.ratios[p].overBare, 2)}×`,
        `${f(Math.min(...c.paths[p].perRoundP50))} – ${f(Math.max(...c.paths[p].perRoundP50))}`,
      ]),
    ]),
    'medians from 30 sampled workflow histories per path (ms; #n = n-th workflow task):',
    ...Object.entries(c.breakdownMs).map(([p, b]) => `  ${p.padEnd(16)}  ${pairs(b)}`),
    ...(errors.length ? ['', 'first errors:', ...errors] : []),
  ].join('\n');
}

/** Writes the report as JSON into dir (git-ignored bench/results/). */
export function writeReport(dir: string, r: SandboxReport): string {
  return writeResults(dir, 'sandbox', r);
}
