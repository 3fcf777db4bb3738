// The Collexa path of bench/invoke: the shared benchmark platform (bench/lib/collexa.ts: real API and worker,
// production defaults) with an org, a developer key and the `sum` agent; one operation is one
// POST /v1/agents/:id/invoke?wait=30 that must end `succeeded`.
import type { Client } from '@temporalio/client';
import type { Db } from '../../core/db/knex.js';
import type { Logger } from '../../core/log.js';
import { createBenchOrg, createSumAgent, startCollexaPlatform } from '../lib/collexa.js';
import type { OpOutcome } from '../lib/load.js';
import type { BenchStack } from '../lib/stack.js';

/** A running Collexa: `op` is one POST /v1/agents/:id/invoke?wait=30 that must end `succeeded`. */
export interface Collexa {
  client: Client;
  /** The API's and the worker's PostgreSQL pools (to count statements). */
  pools: { api: Db; worker: Db };
  op(i: number): Promise<OpOutcome>;
  stop(): Promise<void>;
}

/** Starts API and worker, creates an org, a developer key, the MCP server and an agent over the API. */
export async function startCollexa(opts: { stack: BenchStack; mcpUrl: string; logger: Logger }): Promise<Collexa> {
  const platform = await startCollexaPlatform({ stack: opts.stack, logger: opts.logger });
  try {
    const org = await createBenchOrg(platform.identity);
    const { agentId } = await createSumAgent(platform.url, org.adminKey, opts.mcpUrl);
    return {
      client: platform.client,
      pools: { api: platform.db, worker: platform.workerDb },
      async op(i) {
        const res = await fetch(`${platform.url}/v1/agents/${agentId}/invoke?wait=30`, {
          method: 'POST',
          headers: { authorization: `Bearer ${org.developerKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ capability: 'sum', input: { a: i, b: 1 } }),
        });
        const body = (await res.json()) as { status?: string; workflowId?: string; error?: unknown };
        const ok = res.status === 200 && body.status === 'succeeded';
        return {
          ok,
          ...(body.workflowId ? { workflowId: body.workflowId } : {}),
          ...(ok ? {} : { error: `${res.status} ${JSON.stringify(body).slice(0, 300)}` }),
        };
      },
      stop: platform.stop,
    };
  } catch (err) {
    await platform.stop();
    throw err;
  }
}
