import { BillingSyncRecords } from '../core/billing/billing-sync-records.js';
import type { BillingApplyOutcome } from '../contracts/billing.contract.js';
import type { ActivityDeps } from './index.js';

/** Activities of billingSyncWorkflow: apply one Stripe event, park one that cannot be applied. */
export function createBillingActivities(deps: ActivityDeps) {
  const records = new BillingSyncRecords(deps.db);
  return {
    applyBillingEvent: ({ billingEventId }: { billingEventId: string }): Promise<BillingApplyOutcome> =>
      records.apply(billingEventId),
    parkBillingEvent: ({ billingEventId, error }: { billingEventId: string; error: string }): Promise<void> =>
      records.park(billingEventId, error),
  };
}
