// The table bench/llm prints and the JSON it writes.
import type { MachineInfo } from '../lib/harness.js';
import type { PathResult } from '../lib/load.js';
import { fmt as f, table, writeResults } from '../lib/report.js';

export const LLM_PATHS = ['direct', 'gateway-miss', 'gateway-hit', 'activity-direct', 'activity-gateway'] as const;
export type LlmPath = (typeof LLM_PATHS)[number];

export const PATH_LABELS: Record<LlmPath, string> = {
  direct: 'direct: generateText (@ai-sdk/openai) → wire server',
  'gateway-miss': 'gateway, cache miss: lookup + call + record + store',
  'gateway-hit': 'gateway, cache hit: lookup + record',
  'activity-direct': 'Temporal: workflow + activity calling generateText',
  'activity-gateway': 'Temporal: workflow + activity calling the gateway (miss)',
};

/** Everything one run measured, as written to bench/results/llm-latest.json. */
export interface LlmReport {
  at: string;
  commit: string;
  machine: MachineInfo;
  config: { n: number; rounds: number; warmup: number };
  order: string[];
  paths: Record<LlmPath, PathResult & { perRoundP50: number[] }>;
}

/** The differences the benchmark is for: what the gateway adds to an SDK call, and what an activity adds. */
export function overheads(r: LlmReport) {
  const d = (a: LlmPath, b: LlmPath) => ({
    p50: r.paths[a].latencyMs.p50 - r.paths[b].latencyMs.p50,
    p99: r.paths[a].latencyMs.p99 - r.paths[b].latencyMs.p99,
  });
  return {
    'gateway (miss) − direct': d('gateway-miss', 'direct'),
    'gateway (hit) − direct': d('gateway-hit', 'direct'),
    'activity + gateway − activity + direct': d('activity-gateway', 'activity-direct'),
    'activity + gateway − direct (the whole LLM step)': d('activity-gateway', 'direct'),
  };
}

export function formatReport(r: LlmReport): string[] {
  const rows = LLM_PATHS.map((p) => {
    const x = r.paths[p];
    return [
      PATH_LABELS[p],
      String(x.succeeded),
      String(x.errors),
      f(x.latencyMs.p50),
      f(x.latencyMs.p90),
      f(x.latencyMs.p99),
      f(x.latencyMs.mean),
    ];
  });
  const diffs = Object.entries(overheads(r)).map(([k, v]) => [k, f(v.p50, 2), f(v.p99, 2)]);
  return [
    `bench/llm at ${r.commit}, ${r.config.n} ops per path in ${r.config.rounds} rounds (one at a time), ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}`,
    ...table([['path', 'ok', 'errors', 'p50 ms', 'p90 ms', 'p99 ms', 'mean ms'], ...rows]),
    '',
    ...table([['overhead', 'Δp50 ms', 'Δp99 ms'], ...diffs]),
  ];
}

export function writeReport(dir: string, r: LlmReport): string {
  return writeResults(dir, 'llm', { ...r, overheads: overheads(r) });
}
