// Closed-loop load and the statistics every benchmark reports.

/** What one operation reports: success, and the workflow it ran (for the latency breakdown). */
export interface OpOutcome {
  ok: boolean;
  workflowId?: string;
  error?: string;
  /** What kind of operation this was, when a phase mixes several (e.g. catalog queries). */
  label?: string;
}

/** One timed operation. */
export interface Sample {
  ms: number;
  ok: boolean;
  workflowId?: string;
  label?: string;
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
 * soon as its previous one ends, or `thinkMs` after it, untimed), timing each from call to settled. A
 * thrown error counts as a failure.
 */
export async function runClosedLoop(
  n: number,
  concurrency: number,
  op: (i: number) => Promise<OpOutcome>,
  opts: { thinkMs?: number } = {},
): Promise<PhaseRun> {
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
      samples.push({
        ms: nowMs() - t0,
        ok: outcome.ok,
        ...(outcome.workflowId ? { workflowId: outcome.workflowId } : {}),
        ...(outcome.label ? { label: outcome.label } : {}),
      });
      if (!outcome.ok && firstErrors.length < 5) firstErrors.push(outcome.error ?? 'failed');
      if (opts.thinkMs && next < n) await new Promise((resolve) => setTimeout(resolve, opts.thinkMs));
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
  return {
    count: sorted.length,
    mean,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? NaN,
  };
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

/** Latency summary of successful samples per label (unlabelled ones under `-`). */
export function summarizeByLabel(samples: Sample[]): Record<string, Summary> {
  const by: Record<string, number[]> = {};
  for (const s of samples) if (s.ok) (by[s.label ?? '-'] ??= []).push(s.ms);
  return Object.fromEntries(Object.entries(by).map(([label, ms]) => [label, summarize(ms)]));
}

/**
 * Runs n operations per path in `rounds` rounds of one block per path, `concurrency` at a time within a
 * block, the order rotated by one path each round (A B C, B C A, C A B, ...): over a multiple of the
 * number of paths each sits in each position equally often, so drift on the machine weighs on all.
 * `op(i)` gets a per-path running index; `thinkMs` is an untimed pause between one operation and the next
 * within a block. Returns each path's blocks and the order of every round.
 */
export async function runRotating<K extends string>(
  ops: Record<K, (i: number) => Promise<OpOutcome>>,
  opts: {
    n: number;
    rounds: number;
    concurrency: number;
    pauseMs: number;
    thinkMs?: number;
    onBlock?: (round: number, path: K, run: PhaseRun) => void;
  },
): Promise<{ runs: Record<K, PhaseRun[]>; order: string[] }> {
  const paths = Object.keys(ops) as K[];
  const runs = Object.fromEntries(paths.map((p) => [p, [] as PhaseRun[]])) as Record<K, PhaseRun[]>;
  const next = Object.fromEntries(paths.map((p) => [p, 0])) as Record<K, number>;
  const order: string[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    const size = Math.floor(opts.n / opts.rounds) + (r < opts.n % opts.rounds ? 1 : 0);
    const rotated = paths.map((_, k) => paths[(k + r) % paths.length]!);
    order.push(rotated.join(' '));
    for (const path of rotated) {
      await new Promise((resolve) => setTimeout(resolve, opts.pauseMs)); // the previous block's tail settles
      const run = await runClosedLoop(size, opts.concurrency, () => ops[path](next[path]++), {
        thinkMs: opts.thinkMs ?? 0,
      });
      runs[path].push(run);
      opts.onBlock?.(r, path, run);
    }
  }
  return { runs, order };
}

/** Per path over all its rounds (combine), plus each round's p50: did a path drift, or switch modes, during the run? */
export function combineRounds<K extends string>(
  paths: readonly K[],
  runs: Record<K, PhaseRun[]>,
): Record<K, PathResult & { perRoundP50: number[] }> {
  const okMs = (r: PhaseRun) => r.samples.filter((x) => x.ok).map((x) => x.ms);
  return Object.fromEntries(
    paths.map((p) => [p, { ...combine(runs[p]), perRoundP50: runs[p].map((r) => summarize(okMs(r)).p50) }]),
  ) as Record<K, PathResult & { perRoundP50: number[] }>;
}
