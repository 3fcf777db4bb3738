import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../core/config.js';
import { readOrCreateKeyFile } from '../../core/crypto/master-key.js';
import { createDb, ensureDatabase, migrateLatest } from '../../core/db/knex.js';
import { buildPolicies } from '../policy/build-policies.js';
import { startEmbeddedPostgres } from './postgres-server.js';
import { startAppProcess } from './app-process.js';
import { assertPortFree, waitUntil, type ManagedProcess } from './processes.js';
import { seedDevOrg, type DevCredentials } from './seed.js';
import { startStripeMock } from './stripe-mock-server.js';
import { startTemporalDevServer } from './temporal-server.js';

export interface RunningStack {
  apiUrl: string;
  temporalAddress: string;
  temporalUiUrl: string | null;
  databaseUrl: string;
  credentials: DevCredentials;
  credentialsFile: string;
  logDir: string;
  /** The processes in start order; stop() takes them down in reverse. */
  processes: ManagedProcess[];
  stop(): Promise<void>;
}

type Progress = (line: string) => void;

/**
 * Brings up the whole platform for `npm start`: Temporal dev server and embedded PostgreSQL (unless
 * TEMPORAL_ADDRESS / DATABASE_URL point elsewhere), migrations, the demo org, one worker and the API.
 * On any failure everything already started is stopped before the error propagates.
 */
export async function startStack(config: Config, progress: Progress): Promise<RunningStack> {
  const logDir = path.join(config.dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const ports: [number, string][] = [[config.http.port, 'PORT, the API']];
  if (!config.temporal.external) {
    ports.push(
      [config.temporal.devPort, 'TEMPORAL_DEV_PORT, the Temporal dev server'],
      [config.temporal.uiPort, 'TEMPORAL_UI_PORT, the Temporal Web UI'],
    );
  }
  if (!config.db.external) ports.push([config.db.embeddedPort, 'EMBEDDED_PG_PORT, the embedded PostgreSQL']);
  if (config.billing.runsStripeMock) ports.push([config.billing.mockPort, 'STRIPE_MOCK_PORT, stripe-mock']);
  for (const [port, what] of ports) await assertPortFree(port, what);

  const started: { name: string; process: ManagedProcess; stop: () => Promise<void> }[] = [];
  const stopAll = async () => {
    // Reverse order: API and worker first (they drain), then the servers they depend on.
    const apps = started.filter((s) => s.name === 'api' || s.name === 'worker');
    const infra = started.filter((s) => !apps.includes(s));
    await Promise.allSettled(apps.map((s) => s.stop()));
    await Promise.allSettled(infra.map((s) => s.stop()));
  };

  try {
    let temporalAddress = config.temporal.address;
    let temporalUiUrl: string | null = null;
    if (!config.temporal.external) {
      progress(`starting Temporal dev server on ${config.temporal.address} (UI :${config.temporal.uiPort})`);
      const temporal = await startTemporalDevServer({
        port: config.temporal.devPort,
        uiPort: config.temporal.uiPort,
        namespace: config.temporal.namespace,
        dbFile: path.join(config.dataDir, 'temporal.db'),
        // The UI decodes encrypted payloads through the API's remote codec.
        uiCodecEndpoint: `http://localhost:${config.http.port}/codec`,
        logFile: path.join(logDir, 'temporal.log'),
      });
      started.push({ name: 'temporal', process: temporal.process, stop: () => temporal.stop(4000) });
      temporalAddress = temporal.address;
      temporalUiUrl = temporal.uiUrl;
    }

    let databaseUrl = config.db.url;
    if (!config.db.external) {
      progress(`starting PostgreSQL on 127.0.0.1:${config.db.embeddedPort}`);
      const pg = await startEmbeddedPostgres({
        dataDir: path.join(config.dataDir, 'postgres'),
        port: config.db.embeddedPort,
        logFile: path.join(logDir, 'postgres.log'),
      });
      started.push({ name: 'postgres', process: pg.process, stop: () => pg.stop(4000) });
      databaseUrl = pg.url('collexa');
    }

    // Unset STRIPE_API_BASE in development: billing talks to stripe-mock, Stripe's API emulator.
    if (config.billing.runsStripeMock) {
      progress(`starting stripe-mock on 127.0.0.1:${config.billing.mockPort}`);
      const stripe = await startStripeMock({
        port: config.billing.mockPort,
        logFile: path.join(logDir, 'stripe-mock.log'),
      });
      started.push({ name: 'stripe-mock', process: stripe.process, stop: () => stripe.stop() });
    }

    await ensureDatabase(databaseUrl);
    const db = createDb(databaseUrl, 2);
    let credentials: DevCredentials;
    const credentialsFile = path.join(config.dataDir, 'dev-credentials.json');
    try {
      const applied = await migrateLatest(db);
      progress(applied.length ? `migrations applied: ${applied.join(', ')}` : 'migrations up to date');
      const seeded = await seedDevOrg(db, credentialsFile);
      credentials = seeded.credentials;
      if (seeded.created) progress(`seeded demo org ${credentials.orgId}`);
    } finally {
      await db.destroy();
    }

    const policy = await buildPolicies({ outDir: config.policyDir });
    progress(`policy bundle ${policy.version}`);

    // Unset COLLEXA_MASTER_KEY: a development key kept in the data dir (0600), made on the first start.
    const masterKey = config.vault.masterKey ?? readOrCreateKeyFile(path.join(config.dataDir, 'master.key'));
    // The dev stack lets the worker reach MCP servers and webhooks on 127.0.0.1 (a production default refuses
    // loopback); the platform's own ports stay refused whatever EGRESS_ALLOW says.
    const childEnv = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      POLICY_DIR: config.policyDir,
      COLLEXA_MASTER_KEY: masterKey,
      OPERATOR_ORG_ID: config.operatorOrgId ?? credentials.orgId,
      EGRESS_ALLOW: process.env.EGRESS_ALLOW ?? '127.0.0.1',
      STRIPE_API_BASE: config.billing.apiBase,
    };
    for (const name of ['worker', 'api'] as const) {
      progress(`starting ${name}`);
      const proc = await startAppProcess({ kind: name, env: childEnv, logFile: path.join(logDir, `${name}.log`) });
      started.push({ name, process: proc, stop: () => proc.stop(config.shutdownTimeoutMs) });
    }

    const apiUrl = `http://localhost:${config.http.port}`;
    await waitUntil(
      'API readiness',
      async () => {
        const res = await fetch(`${apiUrl}/readyz`);
        if (!res.ok) throw new Error(await res.text());
      },
      { timeoutMs: 15_000 },
    );
    return {
      apiUrl,
      temporalAddress,
      temporalUiUrl,
      databaseUrl,
      credentials,
      credentialsFile,
      logDir,
      processes: started.map((s) => s.process),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
