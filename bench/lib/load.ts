// Closed-loop load and the statistics every benchmark reports.

/** What one operation reports: success, and the workflow it ran (for the latency breakdown). */
export interface OpOutcome {
  ok: boolean;
  workflowId?: string;
  error?: string;
}

/** One timed operation. */
export interface Sample {
  ms: number;
  ok: boolean;
  workflowId?: string;
}

/** The samples of one phase and how long the phase took end to end. */
export interface PhaseRun {
  samples: Sample[];
  wallMs: number;
  firstErrors: string[];
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * Runs `n` operations, `concurrency` at a time (each of `concurrency` loops starts its next operation as
 * soon as its previous one ends), timing each from call to settled. A thrown error counts as a failure.
 */
export async function runClosedLoop(n: number, concurrency: number, op: (i: number) => Promise<OpOutcome>): Promise<PhaseRun> {
  const samples: Sample[] = [];
  const firstErrors: string[] = [];
  let next = 0;
  const started = nowMs();
  const loop = async () => {
    for (let i = next++; i < n; i = next++) {
      const t0 = nowMs();
      let outcome: OpOutcome;
      try {
        outcome = await op(i);
      } catch (err) {
        outcome = { ok: false, error: err instanceof Error ? err.message : String(err) };
      }
      samples.push({ ms: nowMs() - t0, ok: outcome.ok, ...(outcome.workflowId ? { workflowId: outcome.workflowId } : {}) });
      if (!outcome.ok && firstErrors.length < 5) firstErrors.push(outcome.error ?? 'failed');
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, loop));
  return { samples, wallMs: nowMs() - started, firstErrors };
}

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Count, mean and the percentiles we report, of unsorted values. */
export function summarize(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / (sorted.length || 1);
  return { count: sorted.length, mean, p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN };
}

export type Summary = ReturnType<typeof summarize>;

/** Throughput and latency of a path over all its measured phases (errors excluded from latency). */
export function combine(runs: PhaseRun[]) {
  const samples = runs.flatMap((r) => r.samples);
  const ok = samples.filter((s) => s.ok);
  const wallMs = runs.reduce((s, r) => s + r.wallMs, 0);
  return {
    ops: samples.length,
    succeeded: ok.length,
    errors: samples.length - ok.length,
    wallMs,
    throughput: ok.length / (wallMs / 1000),
    perRoundThroughput: runs.map((r) => r.samples.filter((s) => s.ok).length / (r.wallMs / 1000)),
    latencyMs: summarize(ok.map((s) => s.ms)),
    firstErrors: runs.flatMap((r) => r.firstErrors).slice(0, 5),
  };
}

export type PathResult = ReturnType<typeof combine>;
