/** Input of usageReportWorkflow: how long it waits between sweeps. */
export interface UsageReportInput {
  intervalMs: number;
}

/** Collects the cost ledger from its sources and reports it to Stripe as meter events, every interval, for ever. */
export type UsageReportWorkflow = (input: UsageReportInput) => Promise<void>;
export const USAGE_REPORT_WORKFLOW = 'usageReportWorkflow';

/** One reporter per task queue (its workers share the database and the Stripe account). */
export const usageReportWorkflowId = (taskQueue: string) => `billing-usage-report-${taskQueue}`;

/** Sweeps a run makes before it continues as new. */
export const USAGE_SWEEPS_PER_RUN = 200;
