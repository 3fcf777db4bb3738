// What bench/peer prints and writes (bench/results/peer-latest.json), and its two checks against ContextForge.
import type { CpuMs } from '../lib/cpu.js';
import type { MachineInfo } from '../lib/harness.js';
import type { PathResult } from '../lib/load.js';
import { fmt as f, pairs, table, writeResults } from '../lib/report.js';
import { GATEWAYS, PATH_LABELS, PATHS, type Gateway, type PathName } from './paths.js';

/** Collexa's throughput at concurrency C must be at least this multiple of ContextForge's. */
export const THROUGHPUT_TARGET = 2;

type Measured = PathResult & { perRoundP50: number[] };

export interface PeerReport {
  at: string;
  commit: string;
  machine: MachineInfo;
  config: {
    n: number;
    rounds: number;
    warmup: number;
    thinkMs: number;
    concurrency: number;
    contextforge: { version: string; python: string; sessions: string; workers: 1 };
  };
  /** Concurrency 1, BENCH_THINK_MS between operations, the three paths rotated every round. */
  latency: { order: string[]; paths: Record<PathName, Measured> };
  /** Concurrency C, back to back, the two gateways alternating ABBA; CPU ms per successful operation. */
  throughput: { order: string[]; paths: Record<Gateway, Measured>; cpuMsPerOp: Record<Gateway, CpuMs> };
  /** Medians from 30 sampled Collexa workflow histories at concurrency 1 and C (bench/lib/history.ts). */
  collexaBreakdownMs: { c1: Record<string, number>; cN: Record<string, number> };
  checks: {
    throughput: { collexaOps: number; contextforgeOps: number; ratio: number; target: number; pass: boolean };
    /** Added latency over the direct call's p50: Collexa's p99 against ContextForge's p50. */
    latency: { collexaAddedP99Ms: number; contextforgeAddedP50Ms: number; directP50Ms: number; pass: boolean };
  };
}

/** The two checks from the measured paths. */
export function peerChecks(latency: Record<PathName, Measured>, throughput: Record<Gateway, Measured>) {
  const ratio = throughput.collexa.throughput / throughput.contextforge.throughput;
  const directP50Ms = latency.direct.latencyMs.p50;
  const collexaAddedP99Ms = latency.collexa.latencyMs.p99 - directP50Ms;
  const contextforgeAddedP50Ms = latency.contextforge.latencyMs.p50 - directP50Ms;
  return {
    throughput: {
      collexaOps: throughput.collexa.throughput,
      contextforgeOps: throughput.contextforge.throughput,
      ratio,
      target: THROUGHPUT_TARGET,
      pass: ratio >= THROUGHPUT_TARGET,
    },
    latency: {
      collexaAddedP99Ms,
      contextforgeAddedP50Ms,
      directP50Ms,
      pass: collexaAddedP99Ms < contextforgeAddedP50Ms,
    },
  };
}

const verdict = (pass: boolean) => (pass ? 'PASS' : 'MISS');
const range = (xs: number[]) => `${f(Math.min(...xs))} – ${f(Math.max(...xs))}`;
const cpuCells = (cpu: CpuMs) =>
  Object.entries(cpu)
    .filter(([, ms]) => ms >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([k, ms]) => `${k} ${f(ms)}`)
    .join(', ');

export function formatReport(r: PeerReport): string {
  const { latency: l, throughput: t, checks: c } = r;
  const cf = r.config.contextforge;
  return [
    `bench/peer at ${r.commit}, ${r.at}; ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}, load ${f(r.machine.loadAvg1mAtStart, 2)} → ${f(r.machine.loadAvg1mAtEnd, 2)}`,
    `ContextForge ${cf.version} (${cf.python}), 1 uvicorn worker, SQLite, ${cf.sessions} sessions`,
    '',
    `concurrency 1, ${r.config.thinkMs} ms between operations, ${r.config.rounds} rotating rounds:`,
    ...table([
      ['path', 'ok', 'errors', 'p50 ms', 'p90 ms', 'p99 ms', 'mean ms', 'p50 − direct', 'round p50s'],
      ...PATHS.map((p) => [
        PATH_LABELS[p],
        String(l.paths[p].succeeded),
        String(l.paths[p].errors),
        f(l.paths[p].latencyMs.p50),
        f(l.paths[p].latencyMs.p90),
        f(l.paths[p].latencyMs.p99),
        f(l.paths[p].latencyMs.mean),
        f(l.paths[p].latencyMs.p50 - l.paths.direct.latencyMs.p50),
        range(l.paths[p].perRoundP50),
      ]),
    ]),
    '',
    `concurrency ${r.config.concurrency}, back to back, ${r.config.rounds} rounds ABBA (${t.order.join(' | ')}):`,
    ...table([
      ['path', 'ok', 'errors', 'ops/s', 'round ops/s', 'p50 ms', 'p99 ms', 'CPU ms per op'],
      ...GATEWAYS.map((p) => [
        PATH_LABELS[p],
        String(t.paths[p].succeeded),
        String(t.paths[p].errors),
        f(t.paths[p].throughput),
        range(t.paths[p].perRoundThroughput),
        f(t.paths[p].latencyMs.p50),
        f(t.paths[p].latencyMs.p99),
        cpuCells(t.cpuMsPerOp[p]),
      ]),
    ]),
    'Collexa, medians from 30 sampled workflow histories (ms; #n = n-th workflow task):',
    `  C=1: ${pairs(r.collexaBreakdownMs.c1)}`,
    `  C=${r.config.concurrency}: ${pairs(r.collexaBreakdownMs.cN)}`,
    '',
    `throughput at C=${r.config.concurrency}: Collexa ${f(c.throughput.collexaOps)} ops/s ÷ ContextForge ${f(c.throughput.contextforgeOps)} ops/s = ${f(c.throughput.ratio, 2)}× (target ≥ ${c.throughput.target}×) ${verdict(c.throughput.pass)}`,
    `added over direct (p50 ${f(c.latency.directP50Ms)} ms): Collexa p99 ${f(c.latency.collexaAddedP99Ms)} ms vs ContextForge p50 ${f(c.latency.contextforgeAddedP50Ms)} ms (target: below) ${verdict(c.latency.pass)}`,
  ].join('\n');
}

export function writeReport(dir: string, report: PeerReport): string {
  return writeResults(dir, 'peer', report);
}
