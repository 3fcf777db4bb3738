// What every benchmark script does around its measurements: settings from the environment, a temp dir for
// the run's data and logs, Collexa's logger and the Temporal runtime, the checkout and machine it ran on,
// and stopping every process it started (last started, first stopped) on success, failure and Ctrl-C.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { pino } from 'pino';
import type { Logger } from '../../core/log.js';
import { summarize, type PhaseRun } from './load.js';

/** bench/results (git-ignored). */
export const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'results');

/** A progress line on stdout. */
export const say = (line: string) => process.stdout.write(`[bench] ${line}\n`);

/** A positive integer from the environment, or the fallback when unset; throws (exit 2) on anything else. */
export function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return v;
}

/** Short HEAD commit, `+dirty` if tracked files changed (untracked ones, like a new benchmark, do not count). */
export function checkout(): string {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: path.dirname(fileURLToPath(import.meta.url)), encoding: 'utf8' }).trim();
  try {
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') ? '+dirty' : ''}`;
  } catch {
    return 'unknown';
  }
}

/** The machine, with the 1-minute load average at start and now: other work on it skews every path. */
export function machineInfo(loadAvg1mAtStart: number) {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAvg1mAtStart,
    loadAvg1mAtEnd: os.loadavg()[0]!,
  };
}

export type MachineInfo = ReturnType<typeof machineInfo>;

/**
 * Collexa's pino logger writing to `<runDir>/collexa.log` (as in production it goes to stdout), and the
 * Temporal runtime sending the SDK's own lines there too; call once, before any worker is created.
 */
export function benchLogger(runDir: string): Logger {
  const logger = pino(
    { name: 'collexa-bench', level: process.env.BENCH_LOG_LEVEL || 'info' },
    pino.destination({ dest: path.join(runDir, 'collexa.log'), sync: false }),
  );
  Runtime.install({
    logger: new DefaultLogger('WARN', ({ level, message, meta }) =>
      logger[level === 'ERROR' ? 'error' : 'warn']({ sdk: meta }, message),
    ),
    shutdownSignals: [], // the benchmark stops its workers itself, in order
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
  });
  return logger;
}

/** Something the run started and must stop. */
export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Runs `main` with a fresh temp dir and a list to push started things onto, stops them all (in reverse)
 * however it ends, and exits: main's code (its temp dir is deleted on 0, else kept and named), 1 if it
 * threw, 2 if `settings` threw (a bad setting), 130 on SIGINT/SIGTERM.
 */
export async function runBenchmark<S>(
  settings: () => S,
  main: (ctx: { runDir: string; started: Stoppable[]; settings: S }) => Promise<number>,
): Promise<never> {
  let parsed: S;
  try {
    parsed = settings();
  } catch (err) {
    console.error(`[bench] ${(err as Error).message}`);
    process.exit(2);
  }
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'collexa-bench-'));
  const started: Stoppable[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      for (const s of started.reverse())
        await s.stop().catch((err: unknown) => console.error(`[bench] stop: ${String(err)}`));
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`${signal}: stopping`);
      void stopAll().finally(() => {
        rmSync(runDir, { recursive: true, force: true });
        process.exit(130);
      });
    });
  }
  let code = 1;
  try {
    code = await main({ runDir, started, settings: parsed });
  } catch (err) {
    console.error(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  } finally {
    await stopAll();
  }
  if (code === 0) rmSync(runDir, { recursive: true, force: true });
  else console.error(`[bench] logs kept in ${runDir}`);
  process.exit(code);
}

/** An onBlock for runRotating: a progress line for every block of every fifth round. */
export function sayEveryFifthRound(rounds: number) {
  return (r: number, path: string, run: PhaseRun) => {
    if (r % 5 !== 0) return;
    const ok = run.samples.filter((x) => x.ok).length;
    const p50 = summarize(run.samples.map((x) => x.ms)).p50;
    say(`  round ${r + 1}/${rounds} ${path}: ${ok}/${run.samples.length} ok, p50 ${p50.toFixed(1)} ms`);
  };
}
