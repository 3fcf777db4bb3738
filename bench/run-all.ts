// `npm run bench`: every benchmark, one after another (never two at once: they share the machine's two
// cores and a concurrent one would skew the other's ratios), then one summary in
// bench/results/summary.json: each bench's exit code, time, and every PASS/MISS check its report holds.
// `npm run bench -- --short` runs the short profile CI uses: small N, few rounds; its timings are noise, so
// it fails only when a bench errs (exit code ≠ 0), never on a MISS.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeResults } from './lib/report.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const RESULTS_DIR = path.join(HERE, 'results');

/** Each bench with the settings of its short profile (the full profile is each bench's own defaults). */
const BENCHES: { name: string; short: Record<string, string>; nodeArgs?: string[] }[] = [
  { name: 'invoke', short: { BENCH_N: '40', BENCH_WARMUP: '5', BENCH_POLICY_CALLS: '2000' } },
  // --expose-gc: its RSS is read after a collection, not with the burst's garbage.
  {
    name: 'approvals',
    short: { BENCH_PARKED: '200', BENCH_LIST_REQUESTS: '50', BENCH_DECISIONS: '10' },
    nodeArgs: ['--expose-gc'],
  },
  {
    name: 'mcp',
    short: {
      BENCH_N: '40',
      BENCH_ROUNDS: '4',
      BENCH_WARMUP: '5',
      BENCH_THINK_MS: '20',
      BENCH_CATALOG_SERVERS: '4',
      BENCH_CATALOG_TOOLS_PER_SERVER: '100',
      BENCH_CATALOG_REQUESTS: '50',
    },
  },
  // Lost or duplicated work is an error, not a timing: this one fails CI when it finds any.
  { name: 'burst', short: { BENCH_BURST: '200', BENCH_CONCURRENCY: '16' } },
  { name: 'billing', short: { BENCH_N: '80', BENCH_WARMUP: '10', BENCH_ORGS: '4' } },
  { name: 'llm', short: { BENCH_N: '40', BENCH_ROUNDS: '4', BENCH_WARMUP: '5' } },
  {
    name: 'sandbox',
    short: {
      BENCH_SANDBOXES: '2',
      BENCH_LIFECYCLE_ROUNDS: '2',
      BENCH_N: '20',
      BENCH_ROUNDS: '4',
      BENCH_WARMUP: '4',
      BENCH_THINK_MS: '20',
    },
  },
];

interface Check {
  /** Where in the bench's report the check sits, e.g. `checks.api`. */
  at: string;
  pass: boolean;
}

/** Every `{ pass: boolean }` in a report, named by its path: the benches' PASS/MISS verdicts. */
function checksOf(value: unknown, at = ''): Check[] {
  if (typeof value !== 'object' || value === null) return [];
  const own = 'pass' in value && typeof value.pass === 'boolean' ? [{ at: at || '(report)', pass: value.pass }] : [];
  return own.concat(
    Object.entries(value).flatMap(([key, v]) =>
      checksOf(v, Array.isArray(value) ? `${at}[${key}]` : at ? `${at}.${key}` : key),
    ),
  );
}

function runBench(name: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(HERE, name, 'run.ts')], {
      env: { ...process.env, ...env },
      stdio: 'inherit',
    });
    child.once('error', () => resolve(1));
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main() {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--short');
  if (unknown.length) {
    console.error(`usage: npm run bench [-- --short]   (unknown: ${unknown.join(' ')})`);
    process.exit(2);
  }
  const profile = args.includes('--short') ? 'short' : 'full';
  const results = [];
  for (const bench of BENCHES) {
    console.log(`\n=== bench/${bench.name} (${profile} profile)`);
    const resultsFile = path.join(RESULTS_DIR, `${bench.name}-latest.json`);
    const started = Date.now();
    const exitCode = await runBench(bench.name, profile === 'short' ? bench.short : {}, bench.nodeArgs);
    const seconds = (Date.now() - started) / 1000;
    // A results file older than this run is the last run's: not this one's checks.
    const fresh = existsSync(resultsFile) && statSync(resultsFile).mtimeMs >= started;
    const checks = fresh ? checksOf(JSON.parse(readFileSync(resultsFile, 'utf8'))) : [];
    results.push({ bench: bench.name, exitCode, seconds: Math.round(seconds), checks });
  }
  const file = writeResults(RESULTS_DIR, 'summary', { profile, at: new Date().toISOString(), results });
  console.log(`\n=== summary (${profile} profile): ${path.relative(process.cwd(), file)}`);
  for (const r of results) {
    const verdicts = r.checks.map((c) => `${c.at} ${c.pass ? 'PASS' : 'MISS'}`).join(', ') || 'no checks';
    console.log(
      `bench/${r.bench}: ${r.exitCode === 0 ? 'ok' : `FAILED (exit ${r.exitCode})`} in ${r.seconds} s; ${verdicts}`,
    );
  }
  process.exit(results.some((r) => r.exitCode !== 0) ? 1 : 0);
}

await main();
