import type { DataConverter } from '@temporalio/common';
import type { NativeConnection } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import type { Config } from '../core/config.js';

/** Builds the Collexa worker on a connection: used by workers/main.ts and by tests. */
export async function createWorker(opts: {
  connection: NativeConnection;
  config: Pick<Config, 'temporal'>;
  deps: ActivityDeps;
  workflowBundle: { code: string };
  taskQueue?: string;
  dataConverter?: DataConverter;
}): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.config.temporal.namespace,
    taskQueue: opts.taskQueue ?? opts.config.temporal.taskQueue,
    workflowBundle: opts.workflowBundle,
    activities: createActivities(opts.deps),
    ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}),
    ...(opts.config.temporal.maxCachedWorkflows ? { maxCachedWorkflows: opts.config.temporal.maxCachedWorkflows } : {}),
    // The worker owns no signal handling of its own: main.ts decides when to shut down.
    shutdownGraceTime: '5 seconds',
  });
}
