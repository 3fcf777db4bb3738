// The table bench/mcp prints and the JSON it writes.
import type { MachineInfo } from '../lib/harness.js';
import type { Summary } from '../lib/load.js';
import { fmt as f, pairs, table, writeResults } from '../lib/report.js';
import type { CatalogResult } from './catalog.js';
import {
  ADDED_SLACK_MS,
  COLLEXA_PATHS,
  MCP_ERAS,
  PATH_LABELS,
  PATHS,
  type LatencyMode,
  type McpEraPath,
} from './latency.js';

export const CATALOG_P50_TARGET_MS = 10;

/** Everything one run measured, as written to bench/results/mcp-latest.json. */
export interface McpReport {
  at: string;
  commit: string;
  machine: MachineInfo;
  config: {
    n: number;
    concurrency: 1;
    rounds: number;
    warmup: number;
    thinkMs: number;
    catalog: { servers: number; toolsPerServer: number; requests: number; warmup: number; rounds: number };
  };
  /** The protocol version each /mcp era's client negotiated (checked at connect). */
  mcpProtocolVersions: Record<McpEraPath, string>;
  /** The headline is `paced`; `backToBack` shows the dev server's workflow-task pickup delay (bench/README.md). */
  latency: { paced: LatencyMode; backToBack: LatencyMode };
  catalog: CatalogResult & { targetP50Ms: number; pass: boolean };
}

const verdict = (pass: boolean) => (pass ? 'PASS' : 'MISS');

const pending = (p: { pendingPages: number; pendingTuples: number } | null) =>
  p ? `${p.pendingPages} pages / ${p.pendingTuples} entries` : 'n/a';
const latencyCells = (s: Summary) => [f(s.p50), f(s.p90), f(s.p99), f(s.mean)];

const CHECK_LABELS = {
  api: 'Collexa API',
  'mcp-2026': 'Collexa /mcp 2026-07-28',
  'mcp-2025': 'Collexa /mcp 2025-11-25',
};

function formatMode(name: string, m: LatencyMode): string[] {
  const bareP50 = m.paths.bare.latencyMs.p50;
  const [modern, legacy] = MCP_ERAS.map((p) => m.paths[p].latencyMs.p50) as [number, number];
  return [
    `${name}: ${m.thinkMs ? `${m.thinkMs} ms (untimed) between one operation and the next` : 'each operation starts as the last one ends'}`,
    ...table([
      ['path', 'ok', 'errors', 'p50 ms', 'p90 ms', 'p99 ms', 'mean ms', 'p50 / bare', 'round p50s'],
      ...PATHS.map((p) => [
        PATH_LABELS[p],
        String(m.paths[p].succeeded),
        String(m.paths[p].errors),
        ...latencyCells(m.paths[p].latencyMs),
        `${f(m.paths[p].latencyMs.p50 / bareP50, 2)}×`,
        `${f(Math.min(...m.paths[p].perRoundP50))} – ${f(Math.max(...m.paths[p].perRoundP50))}`,
      ]),
    ]),
    `added over direct (p50), target ≤ bare p50 + ${ADDED_SLACK_MS} ms:`,
    ...table(
      COLLEXA_PATHS.map((p) => [
        `  ${CHECK_LABELS[p]}`,
        `${f(m.checks[p].addedMs)} ms vs ${f(m.checks[p].budgetMs)} ms`,
        `(${f(m.checks[p].beyondBareMs)} ms beyond the bare workflow)`,
        verdict(m.checks[p].pass),
      ]),
    ),
    `/mcp eras (p50): 2026-07-28 ${f(modern)} ms, 2025-11-25 ${f(legacy)} ms: 2026 − 2025 = ${f(modern - legacy)} ms, 2026 / 2025 = ${f(modern / legacy, 2)}×`,
    'medians from 30 sampled workflow histories per path (ms; #n = n-th workflow task):',
    ...[...COLLEXA_PATHS, 'bare' as const].map((p) => `  ${p.padEnd(8)}  ${pairs(m.breakdownMs[p])}`),
  ];
}

/** The human-readable report. */
export function formatReport(r: McpReport): string {
  const { catalog: c } = r;
  const byQuery = Object.keys(c.matches).map((label) => {
    const sql = c.explain[label] ?? [];
    return [
      label,
      String(c.matches[label]),
      f((c.responseBytes[label] ?? NaN) / 1024),
      f(c.http.byQuery[label]?.p50 ?? NaN),
      f(c.http.byQuery[label]?.p99 ?? NaN),
      f(c.repository.byQuery[label]?.p50 ?? NaN),
      f(c.fresh.repositoryP50[label] ?? NaN),
      sql.map((s) => f(s.executionMs, 2)).join(' + '),
      f(sql[0]?.noSeqScan.executionMs ?? NaN, 2),
    ];
  });
  const slowest = Object.entries(c.http.byQuery).sort((a, b) => b[1].p50 - a[1].p50)[0]?.[0];
  const modes = [r.latency.paced, r.latency.backToBack];
  const errors = [
    ...modes.flatMap((m) => PATHS.flatMap((p) => m.paths[p].firstErrors.map((e) => `  ${p}: ${e}`))),
    ...c.http.firstErrors.map((e) => `  catalog: ${e}`),
  ];
  return [
    `bench/mcp at ${r.commit} — latency at concurrency 1 (one operation at a time): ${r.config.n} per path per mode in ${r.config.rounds} rotating rounds, warm-up ${r.config.warmup} each`,
    `/mcp eras: ${MCP_ERAS.map((p) => `${p} negotiated ${r.mcpProtocolVersions[p]}`).join(', ')}`,
    `machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGb} GB, Node ${r.machine.node}, ${r.machine.platform}; load average (1 min) ${f(r.machine.loadAvg1mAtStart, 2)} at start, ${f(r.machine.loadAvg1mAtEnd, 2)} at end`,
    '',
    ...formatMode('paced (the headline)', r.latency.paced),
    '',
    ...formatMode('back to back', r.latency.backToBack),
    '',
    `catalog search: ${c.tools} tools in one org (${r.config.catalog.servers} servers × ${r.config.catalog.toolsPerServer}), concurrency 1, ${r.config.catalog.requests} requests per way after ${r.config.catalog.warmup} of warm-up`,
    ...table([
      ['way', 'p50 ms', 'p90 ms', 'p99 ms', 'mean ms'],
      ['GET /v1/tools (HTTP, page of 50)', ...latencyCells(c.http.latencyMs)],
      ['ToolCatalogRepository.search', ...latencyCells(c.repository.latencyMs)],
      ['GET /v1/me (floor: HTTP + auth)', ...latencyCells(c.floor.latencyMs)],
    ]),
    `GET /v1/tools p50 ${f(c.http.latencyMs.p50)} ms   target ≤ ${c.targetP50Ms} ms   ${verdict(c.pass)}`,
    `measured after VACUUM ANALYZE; "fresh" = right after the bulk write (trigram GIN pending list: ${pending(c.fresh.ginPending)} fresh, ${pending(c.settledGinPending)} after vacuum)`,
    '',
    ...table([
      [
        'query',
        'matches',
        'KiB',
        'HTTP p50',
        'HTTP p99',
        'repo p50',
        'repo p50 fresh',
        'SQL exec ms (search + stats)',
        'search, seqscan off',
      ],
      ...byQuery,
    ]),
    ...(!c.pass && slowest
      ? [
          '',
          `EXPLAIN ANALYZE of the search statement of the slowest query over HTTP (${slowest}); every plan is in the JSON:`,
          c.explain[slowest]?.[0]?.plan ?? '-',
        ]
      : []),
    ...(errors.length ? ['', 'first errors:', ...errors] : []),
  ].join('\n');
}

/** Writes the report as JSON into dir (git-ignored bench/results/). */
export function writeReport(dir: string, r: McpReport): string {
  return writeResults(dir, 'mcp', r);
}
