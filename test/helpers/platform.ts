import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import type { AppDeps } from '../../api/app.js';
import type { Db } from '../../core/db/knex.js';
import type { Logger } from '../../core/log.js';
import { IdentityService } from '../../core/identity/identity.service.js';
import type { Role } from '../../core/identity/roles.js';
import { PROJECT_ROOT } from '../../core/paths.js';
import { createWorker } from '../../workers/create-worker.js';
import { createWorkerDeps } from '../../workers/worker-deps.js';
import { call, stackEnv, startApi, testConfig, testDataConverter, testLogger, testPolicy, testPool } from './stack.js';
import { waitFor } from './wait.js';

/** The API and a worker on a task queue of their own, over the run's real Temporal and PostgreSQL. */
export async function startPlatform(
  opts: {
    approvalTimeoutMs?: number;
    toolTimeoutMs?: number;
    mcpHealthIntervalMs?: number;
    worker?: 'in-process' | 'none';
    mcpEndpoint?: AppDeps['mcpEndpoint'];
    logger?: Logger;
    operatorOrgId?: string;
    metricsToken?: string;
    apiPolicy?: false;
    /** Sandbox limits and durations over the config's (e.g. a short idleMs). */
    sandboxes?: Partial<AppDeps['sandboxes']>;
  } = {},
) {
  const taskQueue = `test-${randomUUID()}`;
  const logger = opts.logger ?? testLogger;
  const api = await startApi({
    taskQueue,
    logger,
    ...(opts.apiPolicy === false ? { policy: undefined } : {}),
    ...(opts.operatorOrgId ? { operatorOrgId: opts.operatorOrgId } : {}),
    ...(opts.metricsToken ? { metricsToken: opts.metricsToken } : {}),
    ...(opts.approvalTimeoutMs ? { approvalTimeoutMs: opts.approvalTimeoutMs } : {}),
    ...(opts.mcpEndpoint ? { mcpEndpoint: opts.mcpEndpoint } : {}),
    ...(opts.mcpHealthIntervalMs ? { mcpHealthIntervalMs: opts.mcpHealthIntervalMs } : {}),
    ...(opts.sandboxes ? { sandboxes: { ...testConfig().sandboxes, ...opts.sandboxes } } : {}),
  });
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  const client = new Client({ connection, dataConverter: testDataConverter() });
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let native: NativeConnection | undefined;
  const pool = testPool({ logger });
  if (opts.worker !== 'none') {
    native = await NativeConnection.connect({ address: inject('temporalAddress') });
    const config = testConfig({ TEMPORAL_TASK_QUEUE: taskQueue });
    // Only what a test sets replaces the config's value (an undefined would unset MCP_CALL_TIMEOUT_MS's cap).
    const { deps } = await createWorkerDeps(config, {
      db: api.db,
      logger,
      mcp: pool,
      policy: await testPolicy(),
      ...(opts.toolTimeoutMs === undefined ? {} : { toolTimeoutMs: opts.toolTimeoutMs }),
      catalogMaxAgeMs: 0,
    });
    worker = await createWorker({
      dataConverter: testDataConverter(),
      connection: native,
      config,
      deps,
      workflowBundle: { code: readFileSync(inject('workflowBundlePath'), 'utf8') },
    });
    running = worker.run();
  }
  return {
    ...api,
    client,
    /** The in-process worker's MCP pool (to find and kill stdio server processes in tests). */
    workerPool: pool,
    taskQueue,
    async stop() {
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await native?.close();
      await pool.closeAll();
      await connection.close();
      await api.close();
    },
  };
}

/** `npm run worker` as a child process on the given task queue, to kill and restart it in tests. */
export function spawnWorkerProcess(
  taskQueue: string,
  env: Record<string, string> = {},
): {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<number | null>;
  output: () => string;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'workers/main.ts')], {
    env: stackEnv({ TEMPORAL_TASK_QUEUE: taskQueue, WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'), ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      if (out.includes('worker ready')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`worker exited (${code}) before ready:\n${out}`)));
  });
  return { child, ready, exited, output: () => out };
}

/** A user with `role` in the org, and their key. */
export async function userWithRole(db: Db, orgId: string, role: Role, name = `${role} user`) {
  return new IdentityService(db).createKey({ orgId, role, name });
}

/** Polls GET /v1/invocations/:id until `status` (or fails after timeoutMs). */
export async function waitForStatus(
  url: string,
  key: string,
  invocationId: string,
  status: string,
  timeoutMs = 30_000,
) {
  const read = async () => (await call(`${url}/v1/invocations/${invocationId}`, { key })).json;
  return waitFor(read, (invocation) => invocation?.status === status, {
    timeoutMs,
    what: `invocation ${invocationId} to reach ${status}`,
  });
}

export interface CapabilitySpec {
  name: string;
  tool: string;
  risk?: 'low' | 'medium' | 'high' | 'critical';
}

/**
 * Registers one MCP server (`server`: the POST /v1/mcp-servers body) and an agent whose capabilities use
 * its tools, over the API as a user would. Throws with the response when either is not created.
 */
export async function createServerAndAgent(
  url: string,
  adminKey: string,
  server: { name: string } & Record<string, unknown>,
  agent: { name: string; capabilities: CapabilitySpec[] },
): Promise<{ serverId: string; agentId: string }> {
  const created = await call(`${url}/v1/mcp-servers`, { method: 'POST', key: adminKey, json: server });
  if (created.status !== 201) throw new Error(`POST /v1/mcp-servers: ${created.status} ${created.text}`);
  const capabilities = agent.capabilities.map((c) => ({ ...c, server: server.name }));
  const made = await call(`${url}/v1/agents`, {
    method: 'POST',
    key: adminKey,
    json: { name: agent.name, capabilities },
  });
  if (made.status !== 201) throw new Error(`POST /v1/agents: ${made.status} ${made.text}`);
  return { serverId: created.json.id as string, agentId: made.json.id as string };
}
