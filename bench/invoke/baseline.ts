// The baseline path: bare Temporal, one workflow with one no-op activity, on a worker and task queue of its own.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { OpOutcome } from '../lib/load.js';
import { createNoopActivities } from '../workflows/noop.activities.js';
import type { noopWorkflow } from '../workflows/noop.workflow.js';

const WORKFLOW_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'workflows', 'noop.workflow.ts');

/** A running baseline: `op` executes one noopWorkflow (start → result). */
export interface Baseline {
  client: Client;
  /** The noop worker's task queue (bench/billing starts workflows on it without awaiting them). */
  taskQueue: string;
  op(): Promise<OpOutcome>;
  stop(): Promise<void>;
}

const silent = { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error };

/** Bundles bench/workflows/noop.workflow.ts and starts a worker for it with the SDK's default options (as Collexa's). */
export async function startBaseline(temporalAddress: string): Promise<Baseline> {
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOW_FILE, logger: silent });
  const taskQueue = `bench-noop-${randomUUID()}`;
  const native = await NativeConnection.connect({ address: temporalAddress });
  let connection: Connection | undefined;
  let worker: Worker;
  try {
    connection = await Connection.connect({ address: temporalAddress });
    worker = await Worker.create({
      connection: native,
      namespace: 'default',
      taskQueue,
      workflowBundle: { code: bundle.code },
      activities: createNoopActivities(),
      shutdownGraceTime: '5 seconds',
    });
  } catch (err) {
    await Promise.allSettled([native.close(), connection?.close()]);
    throw err;
  }
  const running = worker.run();
  const client = new Client({ connection });
  return {
    client,
    taskQueue,
    async op() {
      const workflowId = `bench-noop-${randomUUID()}`;
      await client.workflow.execute<typeof noopWorkflow>('noopWorkflow', { taskQueue, workflowId });
      return { ok: true, workflowId };
    },
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await Promise.allSettled([native.close(), connection.close()]);
    },
  };
}
