import { proxyLocalActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';

/** Every activity the worker registers, as workflows see them (types only: activities run in the worker). */
export type Activities = ReturnType<typeof createActivities>;

/**
 * Short database steps run as local activities: in the worker, inside the workflow task, without a round
 * trip through the server per step (markers in history keep replay exact).
 */
export const dbSteps = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumInterval: '10 seconds' },
});
