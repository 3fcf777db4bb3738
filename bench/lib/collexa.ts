// Collexa as a benchmark runs it: the real API and the real worker, built by their composition roots
// (createApiDeps, createWorkerDeps) from a production config, in this process, each with its own PostgreSQL
// pool as in production, on a task queue of their own; plus
// the org, keys, MCP server and agent a benchmark needs, created as a user would (over the API).
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createApiDeps, createApp } from '../../api/app.js';
import { loadConfig } from '../../core/config.js';
import { generateMasterKey } from '../../core/crypto/master-key.js';
import type { Db } from '../../core/db/knex.js';
import type { IdentityService } from '../../core/identity/identity.service.js';
import type { Logger } from '../../core/log.js';
import { dataConverterFromConfig } from '../../core/temporal/data-converter.js';
import { createWorker } from '../../workers/create-worker.js';
import { createWorkerDeps } from '../../workers/worker-deps.js';
import type { BenchStack } from './stack.js';

/** A running API and worker; stop() drains the worker and closes the server, pools and connections. */
export interface CollexaPlatform {
  /** The API's base URL, e.g. http://127.0.0.1:PORT. */
  url: string;
  /** A Temporal client on the platform's namespace (to read histories). */
  client: Client;
  /** The API's PostgreSQL pool. */
  db: Db;
  /** The worker's PostgreSQL pool. */
  workerDb: Db;
  identity: IdentityService;
  stop(): Promise<void>;
}

/** Starts API and worker over the stack, with production defaults (and `env` over them, e.g. a higher limit). */
export async function startCollexaPlatform(opts: {
  stack: BenchStack;
  logger: Logger;
  env?: Record<string, string>;
}): Promise<CollexaPlatform> {
  const { stack, logger } = opts;
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const fn of cleanups.reverse())
      await fn().catch((err: unknown) => console.error(`[bench] cleanup: ${String(err)}`));
    cleanups.length = 0;
  };
  try {
    const taskQueue = `bench-collexa-${randomUUID()}`;
    // Production defaults, over the bench's stack: the config a real process would load from this env.
    const config = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: stack.databaseUrl,
      TEMPORAL_ADDRESS: stack.temporalAddress,
      TEMPORAL_TASK_QUEUE: taskQueue,
      POLICY_DIR: stack.policyDir,
      COLLEXA_MASTER_KEY: generateMasterKey(),
      COLLEXA_DATA_DIR: path.join(os.tmpdir(), 'collexa-bench'),
      // The bench's MCP server listens on loopback: allowed as the dev stack allows it.
      EGRESS_ALLOW: '127.0.0.1',
      ...opts.env,
    });
    // API and worker each get their own PostgreSQL pool, as in production.
    const api = await createApiDeps(config, { logger });
    cleanups.push(() => api.close());
    const workerDeps = await createWorkerDeps(config, { logger });
    cleanups.push(() => workerDeps.close());
    const server = createApp(api.deps).listen(0, '127.0.0.1');
    await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
    cleanups.push(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });

    const native = await NativeConnection.connect({ address: stack.temporalAddress });
    cleanups.push(() => native.close());
    const dataConverter = dataConverterFromConfig(config.vault).dataConverter;
    const worker = await createWorker({
      connection: native,
      config,
      deps: workerDeps.deps,
      workflowBundle: stack.collexaBundle,
      dataConverter,
    });
    const running = worker.run();
    cleanups.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    });
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      client: api.deps.temporal,
      db: api.deps.db,
      workerDb: workerDeps.deps.db,
      identity: api.deps.identity,
      stop,
    };
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
 * platform, not a server's throttles) and an agent whose capability `sum` (low risk unless told) is its `add` tool.
 */
export async function createSumAgent(
  url: string,
  adminKey: string,
  mcpUrl: string,
  risk: 'low' | 'medium' | 'high' = 'low',
): Promise<{ agentId: string }> {
  const limits = { ratePerSecond: 10_000, orgRatePerSecond: 10_000, maxConcurrency: 1000 };
  await apiPost(url, adminKey, '/v1/mcp-servers', { name: 'bench-mcp', transport: 'http', url: mcpUrl, limits }, 201);
  const agent = (await apiPost(
    url,
    adminKey,
    '/v1/agents',
    { name: 'bench-agent', capabilities: [{ name: 'sum', server: 'bench-mcp', tool: 'add', risk }] },
    201,
  )) as { id: string };
  return { agentId: agent.id };
}

/** POST with a bearer key; throws unless the status is `expected`. */
export async function apiPost(
  url: string,
  key: string,
  route: string,
  json: unknown,
  expected: number,
): Promise<unknown> {
  const res = await apiRequest(url, key, 'POST', route, json);
  if (res.status !== expected) throw new Error(`POST ${route}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** One API request with a bearer key (and a JSON body when given): its status and parsed body (null if none). */
export async function apiRequest(
  url: string,
  key: string,
  method: 'GET' | 'POST' | 'DELETE',
  route: string,
  json?: unknown,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(json === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
}
