import { continueAsNew, proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from './activity-proxies.js';
import { USAGE_SWEEPS_PER_RUN, type UsageReportWorkflow } from '../contracts/usage-report.contract.js';

// Stripe down is a transient failure: retried with backoff until it answers again (nothing is marked reported
// before it does, so nothing is lost).
// The heartbeat (one per entry sent) lets another worker take over within seconds of one dying mid-batch.
const reporting = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * The durable loop behind metered billing: collect the ledger, report it to Stripe in batches until none is
 * left, sleep, again. A worker killed mid-batch leaves the activity to be retried on another; the meter event
 * identifiers (ledger entry ids) make a resend count once.
 */
export const usageReportWorkflow: UsageReportWorkflow = async (input) => {
  for (let sweep = 0; sweep < USAGE_SWEEPS_PER_RUN; sweep++) {
    await reporting.collectUsage();
    while ((await reporting.reportUsageBatch()) > 0) {
      // Reports until the ledger is drained.
    }
    await sleep(input.intervalMs);
  }
  await continueAsNew<UsageReportWorkflow>(input);
};
