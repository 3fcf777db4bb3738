// Time to `running` and time to `stopped`: one operation makes a sandbox, polls it until running, deletes
// it and polls it until stopped (so the org never holds more than one), one mode at a time, the modes
// alternating in rotating rounds.
import { runRotating, summarize, type OpOutcome, type Summary } from '../lib/load.js';
import {
  SANDBOX_MODES,
  createSandbox,
  deleteSandbox,
  waitForStatus,
  type SandboxMode,
  type SandboxTarget,
} from './sandboxes.js';

/** One create → running → DELETE → stopped cycle. */
export interface LifecycleSample {
  mode: SandboxMode;
  ok: boolean;
  /** POST sent → GET first shows running (client clock, polled). */
  toRunningMs?: number;
  /** startedAt − createdAt, as the sandbox row records them (server clock, ms resolution). */
  serverToRunningMs?: number;
  /** DELETE sent → GET first shows stopped. */
  toStoppedMs?: number;
  error?: string;
}

export interface LifecycleResult {
  order: string[];
  pollMs: number;
  byMode: Record<
    SandboxMode,
    { ok: number; errors: number; toRunning: Summary; serverToRunning: Summary; toStopped: Summary }
  >;
  samples: LifecycleSample[];
  firstErrors: string[];
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** One cycle of `mode`; pushes its sample. A sandbox left live by a failure is deleted (untimed). */
async function cycle(t: SandboxTarget, mode: SandboxMode, pollMs: number, out: LifecycleSample[]): Promise<OpOutcome> {
  const sample: LifecycleSample = { mode, ok: false };
  out.push(sample);
  let id: string | undefined;
  try {
    const t0 = nowMs();
    id = (await createSandbox(t, mode)).id;
    const running = await waitForStatus(t, id, 'running', { pollMs, timeoutMs: 120_000 });
    sample.toRunningMs = nowMs() - t0;
    sample.serverToRunningMs = Date.parse(running.startedAt!) - Date.parse(running.createdAt);
    if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(running.endpoint ?? ''))
      throw new Error(`running ${mode} sandbox has endpoint ${running.endpoint}`);
    const t1 = nowMs();
    await deleteSandbox(t, id);
    const stopped = await waitForStatus(t, id, 'stopped', { pollMs, timeoutMs: 120_000 });
    sample.toStoppedMs = nowMs() - t1;
    id = undefined;
    if (stopped.reason !== 'deleted') throw new Error(`stopped ${mode} sandbox has reason ${stopped.reason}`);
    sample.ok = true;
    return { ok: true, label: mode };
  } catch (err) {
    sample.error = err instanceof Error ? err.message : String(err);
    if (id) {
      await deleteSandbox(t, id).catch(() => undefined);
      await waitForStatus(t, id, 'stopped', { pollMs, timeoutMs: 120_000 }).catch(() => undefined);
    }
    return { ok: false, error: `${mode}: ${sample.error}`, label: mode };
  }
}

/** `n` cycles per mode in `rounds` rotating rounds, one at a time. */
export async function measureLifecycle(
  t: SandboxTarget,
  opts: { n: number; rounds: number; pollMs: number },
): Promise<LifecycleResult> {
  const samples: LifecycleSample[] = [];
  const ops = Object.fromEntries(SANDBOX_MODES.map((m) => [m, () => cycle(t, m, opts.pollMs, samples)])) as Record<
    SandboxMode,
    () => Promise<OpOutcome>
  >;
  const { runs, order } = await runRotating(ops, { n: opts.n, rounds: opts.rounds, concurrency: 1, pauseMs: 500 });
  const of = (mode: SandboxMode, k: 'toRunningMs' | 'serverToRunningMs' | 'toStoppedMs') =>
    summarize(samples.filter((s) => s.mode === mode && s.ok).map((s) => s[k]!));
  const byMode = Object.fromEntries(
    SANDBOX_MODES.map((m) => {
      const mine = samples.filter((s) => s.mode === m);
      return [
        m,
        {
          ok: mine.filter((s) => s.ok).length,
          errors: mine.filter((s) => !s.ok).length,
          toRunning: of(m, 'toRunningMs'),
          serverToRunning: of(m, 'serverToRunningMs'),
          toStopped: of(m, 'toStoppedMs'),
        },
      ];
    }),
  ) as LifecycleResult['byMode'];
  return {
    order,
    pollMs: opts.pollMs,
    byMode,
    samples,
    firstErrors: SANDBOX_MODES.flatMap((m) => runs[m].flatMap((r) => r.firstErrors)).slice(0, 5),
  };
}
