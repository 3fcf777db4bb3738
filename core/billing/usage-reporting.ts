import type { Client } from '@temporalio/client';
import {
  USAGE_REPORT_WORKFLOW,
  usageReportWorkflowId,
  type UsageReportWorkflow,
} from '../../contracts/usage-report.contract.js';

/**
 * Makes sure the task queue's usageReportWorkflow runs: started by each worker as it comes up; a second start
 * (another worker, a restart) attaches to the running one, so there is one reporter however many workers.
 */
export async function ensureUsageReporting(client: Client, taskQueue: string, intervalMs: number): Promise<void> {
  await client.workflow.start<UsageReportWorkflow>(USAGE_REPORT_WORKFLOW, {
    workflowId: usageReportWorkflowId(taskQueue),
    taskQueue,
    args: [{ intervalMs }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}
