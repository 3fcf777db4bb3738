// `npm run bench:mcp`: latency of the same MCP tool call made directly, through Collexa's API and through
// Collexa's /mcp/:agentId in both protocol eras (2026-07-28 and 2025-11-25), against a bare Temporal workflow with one no-op activity, all on one Temporal
// dev server and one MCP server in one run; then catalog search over 10,000 tools. A latency benchmark:
// one operation at a time, paced (BENCH_THINK_MS between operations) and back to back. Env: BENCH_N (200),
// BENCH_ROUNDS (20), BENCH_WARMUP (20), BENCH_THINK_MS (100),
// BENCH_CATALOG_SERVERS (20), BENCH_CATALOG_TOOLS_PER_SERVER (500), BENCH_CATALOG_REQUESTS (500),
// BENCH_LOG_LEVEL (info). Exits 0 on a MISS; 1 if an operation failed or the run broke; 2 on a bad setting.
import os from 'node:os';
import path from 'node:path';
import { createDb } from '../../core/db/knex.js';
import { startBaseline } from '../invoke/baseline.js';
import { createBenchOrg, createSumAgent, startCollexaPlatform } from '../lib/collexa.js';
import { RESULTS_DIR, benchLogger, checkout, intEnv, machineInfo, runBenchmark, say } from '../lib/harness.js';
import { runClosedLoop } from '../lib/load.js';
import { startStackWithFixture } from '../lib/stack.js';
import { benchCatalog } from './catalog.js';
import { seedCatalog } from './catalog-seed.js';
import {
  MCP_ERAS,
  PATHS,
  connectMcp,
  connectMcpEra,
  latencyOps,
  measureMode,
  type EraClient,
  type LatencyMode,
  type McpEraPath,
} from './latency.js';
import { CATALOG_P50_TARGET_MS, formatReport, writeReport, type McpReport } from './report.js';

const settings = () => {
  const s = {
    n: intEnv('BENCH_N', 200),
    rounds: intEnv('BENCH_ROUNDS', 20),
    warmup: intEnv('BENCH_WARMUP', 20),
    thinkMs: intEnv('BENCH_THINK_MS', 100),
    catalog: {
      servers: intEnv('BENCH_CATALOG_SERVERS', 20),
      toolsPerServer: intEnv('BENCH_CATALOG_TOOLS_PER_SERVER', 500),
      requests: intEnv('BENCH_CATALOG_REQUESTS', 500),
      warmup: 50,
      rounds: 10,
    },
  };
  if (s.rounds > s.n) throw new Error(`BENCH_ROUNDS (${s.rounds}) must not exceed BENCH_N (${s.n})`);
  if (s.catalog.toolsPerServer > 1440) throw new Error('BENCH_CATALOG_TOOLS_PER_SERVER may be at most 1440');
  return s;
};

await runBenchmark(settings, async ({ runDir, started, settings: s }) => {
  const loadAvg1mAtStart = os.loadavg()[0]!;
  const logger = benchLogger(runDir);

  const { stack, fixture } = await startStackWithFixture(runDir, started);
  const baseline = await startBaseline(stack.temporalAddress);
  started.push(baseline);
  const platform = await startCollexaPlatform({ stack, logger });
  started.push(platform);
  const org = await createBenchOrg(platform.identity);
  const { agentId } = await createSumAgent(platform.url, org.adminKey, fixture.url);
  const direct = await connectMcp(fixture.url);
  started.push({ stop: () => direct.close() });
  const eras = {} as Record<McpEraPath, EraClient>;
  for (const p of MCP_ERAS) {
    eras[p] = await connectMcpEra(p, `${platform.url}/mcp/${agentId}`, org.developerKey);
    const { client } = eras[p];
    started.push({ stop: () => client.close() });
    say(`${p}: connected to /mcp in the ${client.getProtocolEra()} era, protocol ${eras[p].protocolVersion}`);
  }
  const ops = latencyOps({
    direct,
    collexaMcp: { 'mcp-2026': eras['mcp-2026'].client, 'mcp-2025': eras['mcp-2025'].client },
    apiUrl: platform.url,
    developerKey: org.developerKey,
    orgId: org.orgId,
    agentId,
    baseline,
  });

  say(`warming up (${s.warmup} ops per path, one at a time)`);
  for (const p of PATHS) {
    const run = await runClosedLoop(s.warmup, 1, (i) => ops[p](1_000_000 + i));
    if (run.samples.some((x) => !x.ok)) throw new Error(`${p} warm-up failed: ${run.firstErrors.join('; ')}`);
  }

  const modes: LatencyMode[] = [];
  for (const thinkMs of [s.thinkMs, 0]) {
    say(
      `measuring ${s.n} ops per path at concurrency 1 in ${s.rounds} rotating rounds, ${thinkMs ? `${thinkMs} ms between operations` : 'back to back'}`,
    );
    modes.push(
      await measureMode(
        ops,
        { collexa: platform.client, bare: baseline.client },
        { n: s.n, rounds: s.rounds, thinkMs },
      ),
    );
  }

  const tools = s.catalog.servers * s.catalog.toolsPerServer;
  say(`seeding ${tools} catalog tools (${s.catalog.servers} servers × ${s.catalog.toolsPerServer}) in a new org`);
  const catalogOrg = await createBenchOrg(platform.identity, 'bench catalog');
  const catalogDb = createDb(stack.databaseUrl, 10); // a pool of its own, as the API has, for the repository timings
  started.push({ stop: () => catalogDb.destroy() });
  const seeded = await seedCatalog(catalogDb, catalogOrg.orgId, s.catalog.servers, s.catalog.toolsPerServer);
  say(`timing ${s.catalog.requests} catalog searches per way (HTTP, repository, floor), one at a time`);
  const catalog = await benchCatalog({
    url: platform.url,
    key: catalogOrg.developerKey,
    db: catalogDb,
    databaseUrl: stack.databaseUrl,
    orgId: catalogOrg.orgId,
    tools: seeded,
    requests: s.catalog.requests,
    warmup: s.catalog.warmup,
    rounds: s.catalog.rounds,
  });

  const report: McpReport = {
    at: new Date().toISOString(),
    commit: checkout(),
    machine: machineInfo(loadAvg1mAtStart),
    config: { n: s.n, concurrency: 1, rounds: s.rounds, warmup: s.warmup, thinkMs: s.thinkMs, catalog: s.catalog },
    mcpProtocolVersions: { 'mcp-2026': eras['mcp-2026'].protocolVersion, 'mcp-2025': eras['mcp-2025'].protocolVersion },
    latency: { paced: modes[0]!, backToBack: modes[1]! },
    catalog: {
      ...catalog,
      targetP50Ms: CATALOG_P50_TARGET_MS,
      pass: catalog.http.latencyMs.p50 <= CATALOG_P50_TARGET_MS,
    },
  };
  const file = writeReport(RESULTS_DIR, report);
  process.stdout.write(`\n${formatReport(report)}\n\nresults: ${path.relative(process.cwd(), file)}\n`);
  const errors =
    modes.reduce((sum, m) => sum + PATHS.reduce((n, p) => n + m.paths[p].errors, 0), 0) +
    catalog.http.errors +
    catalog.repository.errors +
    catalog.floor.errors;
  return errors > 0 ? 1 : 0;
});
