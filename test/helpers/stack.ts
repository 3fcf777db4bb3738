import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { inject } from 'vitest';
import { createApiDeps } from '../../api/app.js';
import { createApp, type AppDeps } from '../../api/app.js';
import { loadConfig, type Config } from '../../core/config.js';
import { answerClientErrors } from '../../api/middleware/client-errors.js';
import { MasterKeyring } from '../../core/crypto/master-key.js';
import { createDataConverter } from '../../core/temporal/data-converter.js';
import { createDb, type Db } from '../../core/db/knex.js';
import { IdentityService } from '../../core/identity/identity.service.js';
import { createLogger, type Logger } from '../../core/log.js';
import { McpClientPool } from '../../core/mcp/client-pool.js';
import type { SandboxSettings } from '../../core/mcp/sandbox.js';
import { EgressPolicy } from '../../core/net/egress.js';
import { PROJECT_ROOT } from '../../core/paths.js';
import { PolicyEngine } from '../../core/policy/engine.js';
import { SecretVault } from '../../core/secrets/vault.js';

/** The master key of every Collexa process in a test run (the run's database holds secrets wrapped by it). */
export const TEST_MASTER_KEY = createHash('sha256').update('collexa test master key').digest('base64');

/** The encrypting data converter, as the API and worker of a test run use it (keys from TEST_MASTER_KEY). */
export function testDataConverter() {
  return createDataConverter(MasterKeyring.fromBase64(TEST_MASTER_KEY));
}

/** The vault as the API and worker of a test run open it. */
export function testVault(db: Db): SecretVault {
  return new SecretVault(db, MasterKeyring.fromBase64(TEST_MASTER_KEY));
}

/** Env that points a Collexa process at this run's Temporal and PostgreSQL. */
export function stackEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: inject('databaseUrl'),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    POLICY_DIR: inject('policyDir'),
    STRIPE_API_BASE: inject('stripeApiBase'),
    BILLING_REPORT_USAGE: 'off',
    COLLEXA_MASTER_KEY: TEST_MASTER_KEY,
    EGRESS_ALLOW: TEST_EGRESS_ALLOW.join(','),
    WORKSPACE_ROOT: testSandbox().workspaceRoot,
    MCP_SANDBOX_READ_PATHS: testSandbox().readPaths.join(','),
    ...extra,
  };
}

export const testLogger = createLogger({ level: 'silent', name: 'test' });

/** The egress policy of a test run: like the dev stack, it allows 127.0.0.1, where the fixture servers listen. */
export const TEST_EGRESS_ALLOW = ['127.0.0.1'];
export const testEgress = () => new EgressPolicy(TEST_EGRESS_ALLOW);

/** How a test run's stdio servers are sandboxed: dirs in the run's temp dir; the fixtures dir is readable. */
export function testSandbox(): SandboxSettings {
  const runDir = inject('runDir');
  return {
    workRoot: path.join(runDir, 'mcp-work'),
    workspaceRoot: path.join(runDir, 'workspaces'),
    readPaths: [path.join(PROJECT_ROOT, 'test', 'fixtures')],
    uidBase: 200_000,
  };
}

/** A worker-side MCP pool as the tests use it. */
export function testPool(
  opts: { logger?: Logger; connectTimeoutMs?: number; eraMaxAgeMs?: number; sandbox?: Partial<SandboxSettings> } = {},
): McpClientPool {
  return new McpClientPool({
    logger: opts.logger ?? testLogger,
    sandbox: { ...testSandbox(), ...opts.sandbox },
    egress: testEgress(),
    ...(opts.connectTimeoutMs ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
    ...(opts.eraMaxAgeMs === undefined ? {} : { eraMaxAgeMs: opts.eraMaxAgeMs }),
  });
}

export function testDb(): Db {
  return createDb(inject('databaseUrl'), 4);
}

/** A fresh org with an admin key; every test makes its own. */
export async function createOrg(db: Db, name = 'test org') {
  const identity = new IdentityService(db);
  const { org, adminKey } = await identity.createOrganization(`${name} ${Date.now()}`, 'test');
  return { org, adminKey: adminKey.key, identity };
}

/** The real app on a real port, over the run's real database and Temporal. */
let policyEngine: Promise<PolicyEngine> | undefined;
/** The run's policy bundle (built by global setup), loaded once per test file. */
export const testPolicy = () => (policyEngine ??= PolicyEngine.load(inject('policyDir')));

/** The config a Collexa process of this run loads (stackEnv), with the run's sandbox dirs. */
export function testConfig(env: Record<string, string> = {}): Config {
  return { ...loadConfig(stackEnv({ BODY_LIMIT: '100kb', ...env })), mcpSandbox: testSandbox() };
}

export async function startApi(overrides: Partial<AppDeps> = {}) {
  const db = overrides.db ?? testDb();
  const taskQueue = overrides.taskQueue ?? 'collexa';
  const api = await createApiDeps(testConfig({ TEMPORAL_TASK_QUEUE: taskQueue }), {
    logger: testLogger,
    db,
    policy: await testPolicy(),
    ...overrides,
  });
  const app = createApp(api.deps);
  const server = app.listen(0, '127.0.0.1');
  answerClientErrors(server);
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    /** The Express app itself, to read its routes. */
    app,
    db,
    taskQueue,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await api.close();
      if (!overrides.db) await db.destroy();
    },
  };
}

/** Runs a TypeScript entry point of the project as a child process and collects its output. */
export function runTs(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 30_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, file), ...args], {
      env,
      cwd: PROJECT_ROOT,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** fetch + JSON body, for terse assertions. */
export async function call(url: string, init: RequestInit & { key?: string; json?: unknown } = {}) {
  const headers = new Headers(init.headers);
  if (init.key) headers.set('authorization', `Bearer ${init.key}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(init.json);
  }
  const res = await fetch(url, { ...init, headers, body });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests assert on arbitrary JSON shapes
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}
