// Brings up one real Temporal dev server and one real PostgreSQL per test run, with the same code
// `npm start` uses, and builds the workflow bundle once. A missing component fails the run.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { createDb, ensureDatabase, migrateLatest } from '../core/db/knex.js';
import { startEmbeddedPostgres } from '../scripts/dev/postgres-server.js';
import { buildPolicies } from '../scripts/policy/build-policies.js';
import { freePort } from '../scripts/dev/processes.js';
import { startTemporalDevServer } from '../scripts/dev/temporal-server.js';
import { buildWorkflowBundle } from '../workers/workflow-bundle.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    databaseUrl: string;
    pgPort: number;
    workflowBundlePath: string;
    runDir: string;
    policyDir: string;
  }
}

export default async function setup(project: TestProject) {
  const runDir = mkdtempSync(path.join(tmpdir(), 'collexa-test-'));
  // Sandboxed MCP servers run as an unprivileged uid that must be able to walk into their dirs here.
  chmodSync(runDir, 0o711);
  const [temporalPort, pgPort] = [await freePort(), await freePort()];
  const [temporal, pg, bundle, policy] = await Promise.all([
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
  const databaseUrl = pg.url('collexa_test');
  await ensureDatabase(databaseUrl);
  const db = createDb(databaseUrl, 1);
  await migrateLatest(db);
  await db.destroy();
  const workflowBundlePath = path.join(runDir, 'workflow-bundle.js');
  writeFileSync(workflowBundlePath, bundle.code);

  project.provide('temporalAddress', temporal.address);
  project.provide('databaseUrl', databaseUrl);
  project.provide('pgPort', pgPort);
  project.provide('workflowBundlePath', workflowBundlePath);
  project.provide('runDir', runDir);
  project.provide('policyDir', policy.outDir);

  return async () => {
    await Promise.allSettled([temporal.stop(), pg.stop()]);
    rmSync(runDir, { recursive: true, force: true });
  };
}
