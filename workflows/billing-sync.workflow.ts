import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from './activity-proxies.js';
import { dbSteps } from './activity-proxies.js';
import { BILLING_EVENTS_PER_RUN, billingEventSignal, type BillingSyncWorkflow } from '../contracts/billing.contract.js';
import { OrgIdKey } from '../contracts/search-attributes.js';

// A handler's transient failure (the database, Stripe) is retried with backoff; past the last attempt the
// event is parked so the org's later events are not held up behind it.
const HANDLER_OPTIONS = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 6 },
} as const;
const handlers = proxyActivities<Activities>(HANDLER_OPTIONS);
// Applying an event is one database transaction: as a local activity it runs inside the workflow task that
// received the signal, instead of a scheduled, polled and completed activity task on the server per event
// (a third of the server's work per webhook; bench/billing measures it). Its retries back off the same way.
const localHandlers = proxyLocalActivities<Activities>(HANDLER_OPTIONS);

// An org with nothing to apply for this long lets its run end; the next event starts one (signal-with-start).
const IDLE_MS = 60 * 60_000;

const failureMessage = (err: unknown): string => {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return `${cause.type ?? 'error'}: ${cause.message}`;
  return cause instanceof Error ? cause.message : String(cause);
};

/**
 * One org's Stripe events, applied one at a time in arrival order (signals carry their billing_events ids).
 * Handlers compare the object's own timestamps, so a late event is recorded stale rather than applied; a
 * poison event is parked with its error. Continues as new every BILLING_EVENTS_PER_RUN events or when the
 * server suggests it, carrying the queue.
 */
export const billingSyncWorkflow: BillingSyncWorkflow = async (input) => {
  const queue: string[] = [...(input.pending ?? [])];
  const queued = new Set(queue);
  setHandler(billingEventSignal, ({ billingEventId }) => {
    if (queued.has(billingEventId)) return;
    queued.add(billingEventId);
    queue.push(billingEventId);
  });
  upsertSearchAttributes([{ key: OrgIdKey, value: input.orgId }]);

  let handled = 0;
  while (await condition(() => queue.length > 0, IDLE_MS)) {
    const billingEventId = queue.shift()!;
    try {
      // Runs begun before the change scheduled remote activities; they replay as they were recorded.
      const apply = patched('billing-apply-local') ? localHandlers : handlers;
      await apply.applyBillingEvent({ billingEventId });
    } catch (err) {
      await dbSteps.parkBillingEvent({ billingEventId, error: failureMessage(err) });
    }
    handled++;
    if (handled >= BILLING_EVENTS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<BillingSyncWorkflow>({ orgId: input.orgId, pending: queue });
    }
  }
  await condition(allHandlersFinished);
  return { handled };
};
