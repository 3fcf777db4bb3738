// The servers a benchmark runs against, brought up with the same code as `npm start` and test/global-setup.ts:
// one in-memory Temporal dev server, one embedded PostgreSQL in a temp dir, the policy bundle and the
// Collexa workflow bundle; plus our Streamable HTTP MCP test server (test/fixtures/mcp-http-server.ts).
import path from 'node:path';
import { createDb, ensureDatabase, migrateLatest } from '../../core/db/knex.js';
import { startEmbeddedPostgres } from '../../scripts/dev/postgres-server.js';
import { freePort } from '../../scripts/dev/processes.js';
import { launchMcpHttpFixture } from '../../test/fixtures/launch-mcp-http-server.js';
import { startTemporalDevServer } from '../../scripts/dev/temporal-server.js';
import { buildPolicies } from '../../scripts/policy/build-policies.js';
import { buildWorkflowBundle } from '../../workers/workflow-bundle.js';

/** Running servers and built bundles; stop() takes every process down. */
export interface BenchStack {
  temporalAddress: string;
  databaseUrl: string;
  policyDir: string;
  collexaBundle: { code: string };
  /** Process (group) ids of the servers, for CPU accounting. */
  pids: { temporal?: number; postgres?: number };
  stop(): Promise<void>;
}

/** Starts Temporal and PostgreSQL and builds both bundles in parallel; on any failure stops what did start. */
export async function startBenchStack(runDir: string): Promise<BenchStack> {
  const [temporalPort, pgPort] = [await freePort(), await freePort()];
  const [temporal, pg, bundle, policy] = await Promise.allSettled([
    startTemporalDevServer({
      port: temporalPort,
      uiPort: null,
      namespace: 'default',
      logFile: path.join(runDir, 'temporal.log'),
    }),
    startEmbeddedPostgres({
      dataDir: path.join(runDir, 'pg'),
      port: pgPort,
      logFile: path.join(runDir, 'postgres.log'),
    }),
    buildWorkflowBundle(),
    buildPolicies({ outDir: path.join(runDir, 'policy') }),
  ]);
  const stop = async () => {
    await Promise.allSettled([
      temporal.status === 'fulfilled' ? temporal.value.stop() : undefined,
      pg.status === 'fulfilled' ? pg.value.stop() : undefined,
    ]);
  };
  if (
    temporal.status !== 'fulfilled' ||
    pg.status !== 'fulfilled' ||
    bundle.status !== 'fulfilled' ||
    policy.status !== 'fulfilled'
  ) {
    await stop();
    throw [temporal, pg, bundle, policy].flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []))[0];
  }
  try {
    const databaseUrl = pg.value.url('collexa_bench');
    await ensureDatabase(databaseUrl);
    const db = createDb(databaseUrl, 1);
    try {
      await migrateLatest(db);
    } finally {
      await db.destroy();
    }
    return {
      temporalAddress: temporal.value.address,
      databaseUrl,
      policyDir: policy.value.outDir,
      collexaBundle: { code: bundle.value.code },
      pids: { temporal: temporal.value.process.child.pid, postgres: pg.value.process.child.pid },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Our HTTP MCP test server as a child process on a free port. */
export async function startMcpFixture(runDir: string): Promise<{ url: string; pid?: number; stop(): Promise<void> }> {
  const port = await freePort();
  const proc = await launchMcpHttpFixture({ port, logFile: path.join(runDir, 'mcp-http-server.log') });
  return { url: `http://127.0.0.1:${port}/mcp`, pid: proc.child.pid, stop: () => proc.stop(5000) };
}
