import { defineSignal } from '@temporalio/workflow';

/** Input of billingSyncWorkflow: the org, and events received but not yet applied (carried across continue-as-new). */
export interface BillingSyncInput {
  orgId: string;
  pending?: string[];
}

export interface BillingSyncResult {
  /** Events this run took off its queue (applied, stale or parked). */
  handled: number;
}

/** What applying one event did (parked ones are the workflow's own verdict after retries). */
export const BILLING_APPLY_OUTCOMES = ['applied', 'stale', 'parked', 'gone'] as const;
export type BillingApplyOutcome = (typeof BILLING_APPLY_OUTCOMES)[number];

/** Applies one org's Stripe events, in the order they arrived, one at a time. */
export type BillingSyncWorkflow = (input: BillingSyncInput) => Promise<BillingSyncResult>;
export const BILLING_SYNC_WORKFLOW = 'billingSyncWorkflow';

/** A verified, deduplicated Stripe event (its billing_events row id) for the org's queue. */
export const billingEventSignal = defineSignal<[{ billingEventId: string }]>('billingEvent');

export const billingSyncWorkflowId = (orgId: string) => `billing-${orgId}`;

/** Events a run handles before it continues as new, so its history stays short. */
export const BILLING_EVENTS_PER_RUN = 500;
