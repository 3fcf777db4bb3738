// The servers a test run or a benchmark runs against, brought up with the same code as `npm start`: one
// in-memory Temporal dev server, one embedded PostgreSQL (migrated) and one stripe-mock in `runDir`, the
// policy bundle and the Collexa workflow bundle, all in parallel.
import path from 'node:path';
import { createDb, ensureDatabase, migrateLatest } from '../../core/db/knex.js';
import { buildWorkflowBundle } from '../../workers/workflow-bundle.js';
import { buildPolicies } from '../policy/build-policies.js';
import { startEmbeddedPostgres } from './postgres-server.js';
import { startOnFreePort } from './processes.js';
import { startStripeMock } from './stripe-mock-server.js';
import { startTemporalDevServer } from './temporal-server.js';

/** Running servers and built bundles; stop() takes both servers down. */
export interface RunStack {
  temporalAddress: string;
  databaseUrl: string;
  pgPort: number;
  /** stripe-mock's base URL (STRIPE_API_BASE of the run). */
  stripeApiBase: string;
  policyDir: string;
  workflowBundle: { code: string };
  /** Process (group) ids of the servers, for CPU accounting. */
  pids: { temporal?: number; postgres?: number };
  stop(): Promise<void>;
}

/** Starts everything on free ports; on any failure stops what did start and throws the first error. */
export async function startRunStack(runDir: string, databaseName: string): Promise<RunStack> {
  const [temporal, pg, stripe, bundle, policy] = await Promise.allSettled([
    startOnFreePort((port) =>
      startTemporalDevServer({ port, uiPort: null, namespace: 'default', logFile: path.join(runDir, 'temporal.log') }),
    ),
    startOnFreePort((port) =>
      startEmbeddedPostgres({ dataDir: path.join(runDir, 'pg'), port, logFile: path.join(runDir, 'postgres.log') }),
    ),
    startOnFreePort((port) => startStripeMock({ port, logFile: path.join(runDir, 'stripe-mock.log') })),
    buildWorkflowBundle(),
    buildPolicies({ outDir: path.join(runDir, 'policy') }),
  ]);
  const stop = async () => {
    await Promise.allSettled([
      temporal.status === 'fulfilled' ? temporal.value.stop() : undefined,
      pg.status === 'fulfilled' ? pg.value.stop() : undefined,
      stripe.status === 'fulfilled' ? stripe.value.stop() : undefined,
    ]);
  };
  if (
    temporal.status !== 'fulfilled' ||
    pg.status !== 'fulfilled' ||
    stripe.status !== 'fulfilled' ||
    bundle.status !== 'fulfilled' ||
    policy.status !== 'fulfilled'
  ) {
    await stop();
    throw [temporal, pg, stripe, bundle, policy].flatMap((r) =>
      r.status === 'rejected' ? [r.reason as unknown] : [],
    )[0];
  }
  try {
    const databaseUrl = pg.value.url(databaseName);
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
      pgPort: pg.value.port,
      stripeApiBase: stripe.value.url,
      policyDir: policy.value.outDir,
      workflowBundle: { code: bundle.value.code },
      pids: { temporal: temporal.value.process.child.pid, postgres: pg.value.process.child.pid },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
