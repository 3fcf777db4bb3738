import { proxyActivities } from '@temporalio/workflow';
import type { createNoopActivities } from './noop.activities.js';

const { noop } = proxyActivities<ReturnType<typeof createNoopActivities>>({ startToCloseTimeout: '10 seconds' });

/** Baseline for bench/invoke: one no-op activity and return, the least a workflow with an activity can do. */
export async function noopWorkflow(): Promise<void> {
  await noop();
}
