import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PROJECT_ROOT } from '../../core/paths.js';
import { freePort } from '../../scripts/dev/processes.js';
import { stackEnv } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

/**
 * `npm run api` as a child process on the run's Temporal and PostgreSQL: its event loop serves only the
 * fuzzer's requests, so /healthz latency measures the API and not the test runner. Its error log lines
 * (each 500's cause) are kept for the report.
 */
export async function spawnApi(env: Record<string, string>) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'api/server.ts')], {
    env: stackEnv({ PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'error', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The 100 ms budget is for the API's own event loop, not for the scheduler of a machine shared with
  // other test runs: the API and the poller get a higher priority where the OS allows it (root, as CI runs).
  raisePriority(child.pid);
  const errors: string[] = [];
  const keep = (d: Buffer) => errors.push(...String(d).split('\n').filter(Boolean));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  // Up, or gone: an API that exited is not waited for any longer.
  const state = async () => ({
    exitCode: child.exitCode,
    healthy: await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    ),
  });
  const up = await waitFor(state, (s) => s.healthy || s.exitCode !== null, {
    what: 'the api to answer /healthz',
    timeoutMs: 60_000,
    intervalMs: 200,
  }).catch((err: Error) => {
    throw new Error(`${err.message}\n${errors.join('\n')}`, { cause: err });
  });
  if (!up.healthy) throw new Error(`api exited (${child.exitCode}):\n${errors.join('\n')}`);
  return {
    url,
    errors,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function raisePriority(pid: number | undefined) {
  try {
    if (pid !== undefined) setPriority(pid, -10);
  } catch {
    // Not permitted here: the timings then include the machine's other load.
  }
}

// Plain JavaScript for a worker thread: its own event loop, so a busy test runner does not skew the timings.
const WATCHER = `
const { parentPort, workerData } = require('node:worker_threads');
try { require('node:os').setPriority(-10); } catch {}
let running = true, slowest = 0, polls = 0, failures = 0;
const slow = []; // [started (epoch ms), took (ms)] of polls over half the budget
parentPort.on('message', () => { running = false; });
(async () => {
  // Untimed: a thread's first fetch loads the HTTP client itself, tens of ms that are not the API's.
  await fetch(workerData.url).then((r) => r.text(), () => undefined);
  while (running) {
    const started = performance.now();
    try { const r = await fetch(workerData.url, { signal: AbortSignal.timeout(5000) }); await r.text(); if (!r.ok) failures++; }
    catch { failures++; }
    const took = performance.now() - started;
    if (took > workerData.reportOverMs) slow.push([Date.now() - took, took]);
    slowest = Math.max(slowest, took);
    polls++;
    await new Promise((r) => setTimeout(r, workerData.intervalMs)); // the probe's pace, not a wait for anything
  }
  parentPort.postMessage({ slowest, polls, failures, slow });
})();
`;

export interface HealthStats {
  slowest: number;
  polls: number;
  failures: number;
  /** [started at (epoch ms), took (ms)] of each poll slower than `reportOverMs`. */
  slow: [number, number][];
}

/** Polls `url` from a worker thread until stopped; answers the slowest round trip, the polls, the failed and the slow ones. */
export function watchHealth(url: string, opts: { intervalMs?: number; reportOverMs?: number } = {}) {
  const worker = new Worker(WATCHER, {
    eval: true,
    workerData: { url, intervalMs: opts.intervalMs ?? 25, reportOverMs: opts.reportOverMs ?? 50 },
  });
  return async (): Promise<HealthStats> => {
    const result = new Promise<HealthStats>((r) => worker.once('message', r));
    worker.postMessage('stop');
    const stats = await result;
    await worker.terminate();
    return stats;
  };
}
