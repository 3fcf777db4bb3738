import { Context } from '@temporalio/activity';
import { BillingSyncRecords } from '../core/billing/billing-sync-records.js';
import type { BillingApplyOutcome } from '../contracts/billing.contract.js';
import { NO_BUDGET, type BudgetVerdict } from '../core/billing/budget-guard.js';
import { AppError } from '../core/errors.js';
import type { ActivityDeps } from './index.js';

/** Activities of billingSyncWorkflow (apply one Stripe event, park one that cannot be applied) and usageReportWorkflow. */
export function createBillingActivities(deps: ActivityDeps) {
  const records = new BillingSyncRecords(deps.db);
  const reporter = () => {
    if (!deps.usageReporter) throw new AppError('billing_not_configured', 500, 'this worker has no usage reporter');
    return deps.usageReporter;
  };
  return {
    collectUsage: (): Promise<number> => reporter().collect(),
    checkInvocationBudget: async ({ invocationId }: { invocationId: string }): Promise<BudgetVerdict> =>
      deps.budget ? deps.budget.forInvocation(invocationId) : NO_BUDGET,
    reportUsageBatch: (): Promise<number> => reporter().reportBatch(() => Context.current().heartbeat()),
    applyBillingEvent: ({ billingEventId }: { billingEventId: string }): Promise<BillingApplyOutcome> =>
      records.apply(billingEventId),
    parkBillingEvent: ({ billingEventId, error }: { billingEventId: string; error: string }): Promise<void> =>
      records.park(billingEventId, error),
  };
}
