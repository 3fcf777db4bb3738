// Collexa as a benchmark runs it: the real API (createApp on a free port, /v1 and /mcp) and the real worker
// (createWorker with the real activities, the policy engine from the built bundle and an McpClientPool) in
// this process, each with its own PostgreSQL pool as in production, on a task queue of their own; plus
// the org, keys, MCP server and agent a benchmark needs, created as a user would (over the API).
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createApp } from '../../api/app.js';
import { readinessChecks } from '../../api/readiness.js';
import type { Config } from '../../core/config.js';
import { createDb, type Db } from '../../core/db/knex.js';
import { IdentityService } from '../../core/identity/identity.service.js';
import type { Logger } from '../../core/log.js';
import { generateMasterKey, MasterKeyring } from '../../core/crypto/master-key.js';
import { McpClientPool } from '../../core/mcp/client-pool.js';
import { StdioCommandPolicy } from '../../core/mcp/stdio-commands.js';
import { EgressPolicy } from '../../core/net/egress.js';
import { createDataConverter } from '../../core/temporal/data-converter.js';
import { PolicyEngine } from '../../core/policy/engine.js';
import { createWorker } from '../../workers/create-worker.js';
import type { BenchStack } from './stack.js';

/** A running API and worker; stop() drains the worker and closes the server, pools and connections. */
export interface CollexaPlatform {
  /** The API's base URL, e.g. http://127.0.0.1:PORT. */
  url: string;
  /** A Temporal client on the platform's namespace (to read histories). */
  client: Client;
  /** The API's PostgreSQL pool. */
  db: Db;
  identity: IdentityService;
  stop(): Promise<void>;
}

const POOL_MAX = 10; // DB_POOL_MAX's default, per process (API and worker each get one pool)

/** Starts API and worker over the stack, with production defaults. */
export async function startCollexaPlatform(opts: { stack: BenchStack; logger: Logger }): Promise<CollexaPlatform> {
  const { stack, logger } = opts;
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((err: unknown) => console.error(`[bench] cleanup: ${String(err)}`));
    cleanups.length = 0;
  };
  try {
    const taskQueue = `bench-collexa-${randomUUID()}`;
    const apiDb = createDb(stack.databaseUrl, POOL_MAX);
    const workerDb = createDb(stack.databaseUrl, POOL_MAX);
    cleanups.push(() => apiDb.destroy(), () => workerDb.destroy());
    // The bench's MCP server listens on loopback: allowed as the dev stack allows it.
    const egress = new EgressPolicy(['127.0.0.1']);
    const sandbox = { workRoot: path.join(os.tmpdir(), 'collexa-bench', 'mcp'), workspaceRoot: path.join(os.tmpdir(), 'collexa-bench', 'workspaces'), readPaths: [], uidBase: 200_000 };
    const workerMcp = new McpClientPool({ logger, sandbox, egress });
    cleanups.push(() => workerMcp.closeAll());

    // Payload encryption as in production: part of what an invocation costs.
    const dataConverter = createDataConverter(MasterKeyring.fromBase64(generateMasterKey()));
    const connection = await Connection.connect({ address: stack.temporalAddress });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default', dataConverter });
    const identity = new IdentityService(apiDb);
    const app = createApp({
      logger,
      db: apiDb,
      identity,
      temporal: client,
      egress,
      stdioCommands: new StdioCommandPolicy(),
      workspaceRoot: sandbox.workspaceRoot,
      bodyLimit: '1mb',
      taskQueue,
      approvalTimeoutMs: 24 * 3600 * 1000,
      readiness: readinessChecks({ db: apiDb, temporal: connection }),
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
    cleanups.push(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });

    const native = await NativeConnection.connect({ address: stack.temporalAddress });
    cleanups.push(() => native.close());
    const config: Pick<Config, 'temporal'> = {
      temporal: { address: stack.temporalAddress, external: true, devPort: 0, uiPort: 0, namespace: 'default', taskQueue, workflowBundlePath: undefined },
    };
    const worker = await createWorker({
      connection: native,
      config,
      deps: { db: workerDb, logger, policy: await PolicyEngine.load(stack.policyDir), mcp: workerMcp, egress },
      workflowBundle: stack.collexaBundle,
      dataConverter,
    });
    const running = worker.run();
    cleanups.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    });
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, client, db: apiDb, identity, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A new org with its admin's key and a developer's key (developers invoke low-risk capabilities without approval). */
export async function createBenchOrg(identity: IdentityService, name = 'bench') {
  const { org, adminKey } = await identity.createOrganization(`${name} ${new Date().toISOString()}`, 'bench');
  const developer = await identity.createKey({ orgId: org.id, role: 'developer', name: 'bench' }, 'bench');
  return { orgId: org.id, adminKey: adminKey.key, developerKey: developer.key };
}

/**
 * Registers our HTTP MCP test server as `bench-mcp` (limits far above any load: a benchmark measures the
 * platform, not a server's throttles) and an agent whose low-risk capability `sum` is its `add` tool.
 */
export async function createSumAgent(url: string, adminKey: string, mcpUrl: string): Promise<{ agentId: string }> {
  const limits = { ratePerSecond: 10_000, orgRatePerSecond: 10_000, maxConcurrency: 1000 };
  await apiPost(url, adminKey, '/v1/mcp-servers', { name: 'bench-mcp', transport: 'http', url: mcpUrl, limits }, 201);
  const agent = (await apiPost(url, adminKey, '/v1/agents', { name: 'bench-agent', capabilities: [{ name: 'sum', server: 'bench-mcp', tool: 'add', risk: 'low' }] }, 201)) as { id: string };
  return { agentId: agent.id };
}

/** POST with a bearer key; throws unless the status is `expected`. */
export async function apiPost(url: string, key: string, route: string, json: unknown, expected: number): Promise<unknown> {
  const res = await fetch(`${url}${route}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(json) });
  const text = await res.text();
  if (res.status !== expected) throw new Error(`POST ${route}: ${res.status} ${text}`);
  return JSON.parse(text) as unknown;
}
