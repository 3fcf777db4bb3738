// The Collexa path: the real API (createApp) and the real worker (createWorker with the real activities,
// policy engine and MCP client pool) in this process, each with its own PostgreSQL pool as in production,
// invoking a low-risk capability bound to the `add` tool of our HTTP MCP test server.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createApp } from '../../api/app.js';
import type { Config } from '../../core/config.js';
import { createDb } from '../../core/db/knex.js';
import { IdentityService } from '../../core/identity/identity.service.js';
import type { Logger } from '../../core/log.js';
import { McpClientPool } from '../../core/mcp/client-pool.js';
import { PolicyEngine } from '../../core/policy/engine.js';
import { createWorker } from '../../workers/create-worker.js';
import type { BenchStack } from '../lib/stack.js';
import type { OpOutcome } from '../lib/load.js';

/** A running Collexa: `op` is one POST /v1/agents/:id/invoke?wait=30 that must end `succeeded`. */
export interface Collexa {
  client: Client;
  op(i: number): Promise<OpOutcome>;
  stop(): Promise<void>;
}

const POOL_MAX = 10; // DB_POOL_MAX's default, per process (API and worker each get one pool)

/** Starts API and worker, creates an org, a developer key, the MCP server and an agent over the API. */
export async function startCollexa(opts: { stack: BenchStack; mcpUrl: string; logger: Logger }): Promise<Collexa> {
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
    const apiMcp = new McpClientPool({ logger });
    const workerMcp = new McpClientPool({ logger });
    cleanups.push(() => apiMcp.closeAll(), () => workerMcp.closeAll());

    const connection = await Connection.connect({ address: stack.temporalAddress });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });
    const identity = new IdentityService(apiDb);
    const app = createApp({
      logger,
      db: apiDb,
      identity,
      temporal: client,
      mcp: apiMcp,
      bodyLimit: '1mb',
      taskQueue,
      approvalTimeoutMs: 24 * 3600 * 1000,
      readiness: { postgres: async () => apiDb.raw('select 1') },
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
    cleanups.push(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const native = await NativeConnection.connect({ address: stack.temporalAddress });
    cleanups.push(() => native.close());
    const config: Pick<Config, 'temporal'> = {
      temporal: { address: stack.temporalAddress, external: true, devPort: 0, uiPort: 0, namespace: 'default', taskQueue, workflowBundlePath: undefined },
    };
    const worker = await createWorker({
      connection: native,
      config,
      deps: { db: workerDb, logger, policy: await PolicyEngine.load(stack.policyDir), mcp: workerMcp },
      workflowBundle: stack.collexaBundle,
    });
    const running = worker.run();
    cleanups.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    });

    const { org, adminKey } = await identity.createOrganization(`bench ${new Date().toISOString()}`, 'bench');
    const developer = await identity.createKey({ orgId: org.id, role: 'developer', name: 'bench' }, 'bench');
    // Limits far above the load: the benchmark measures the platform, not a server's throttles.
    const limits = { ratePerSecond: 10_000, orgRatePerSecond: 10_000, maxConcurrency: 1000 };
    await post(url, adminKey.key, '/v1/mcp-servers', { name: 'bench-mcp', transport: 'http', url: opts.mcpUrl, limits }, 201);
    const agent = (await post(url, adminKey.key, '/v1/agents', {
      name: 'bench-agent',
      capabilities: [{ name: 'sum', server: 'bench-mcp', tool: 'add', risk: 'low' }],
    }, 201)) as { id: string };

    return {
      client,
      async op(i) {
        const res = await fetch(`${url}/v1/agents/${agent.id}/invoke?wait=30`, {
          method: 'POST',
          headers: { authorization: `Bearer ${developer.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ capability: 'sum', input: { a: i, b: 1 } }),
        });
        const body = (await res.json()) as { status?: string; workflowId?: string; error?: unknown };
        const ok = res.status === 200 && body.status === 'succeeded';
        return { ok, ...(body.workflowId ? { workflowId: body.workflowId } : {}), ...(ok ? {} : { error: `${res.status} ${JSON.stringify(body).slice(0, 300)}` }) };
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function post(url: string, key: string, route: string, json: unknown, expected: number): Promise<unknown> {
  const res = await fetch(`${url}${route}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(json) });
  const text = await res.text();
  if (res.status !== expected) throw new Error(`POST ${route}: ${res.status} ${text}`);
  return JSON.parse(text) as unknown;
}
