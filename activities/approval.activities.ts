import type { ApprovalInput, ApprovalOutcome, Approver, DecisionKey } from '../contracts/approval.contract.js';
import { ApprovalRecords } from '../core/approvals/approval-records.js';
import {
  decisionKeys,
  DecisionRecords,
  type RecordDecisionInput,
  type RecordedDecision,
} from '../core/approvals/decision-records.js';
import { EgressPolicy } from '../core/net/egress.js';
import { guardedFetch } from '../core/net/guarded-fetch.js';
import type { ActivityDeps } from './index.js';

/** Activities of approvalWorkflow: the approvals row, the decision's authoritative checks and write, and the webhook. */
export function createApprovalActivities(deps: ActivityDeps) {
  const records = new ApprovalRecords(deps.db, guardedFetch(deps.egress ?? new EgressPolicy()));
  const decisions = new DecisionRecords(deps.db, deps.policy);

  return {
    /** Writes the pending row (and marks its invocation pending_approval); answers the keys decision tokens verify with. */
    async openApproval(input: ApprovalInput): Promise<{ expiresAt: string; keys: DecisionKey[] }> {
      return records.open(input);
    },

    async closeApproval(input: {
      approvalId: string;
      status: ApprovalOutcome;
      decidedBy: string | null;
      comment: string | null;
    }): Promise<void> {
      await records.close(input);
    },

    /** The public signing keys, for a workflow that met a token signed by a key it does not hold. */
    async loadDecisionKeys(): Promise<DecisionKey[]> {
      return decisionKeys(deps.db);
    },

    /** Verifies a decision token again, re-checks the approver, and records the decision once (core/approvals/decision-records.ts). */
    async recordDecision(input: RecordDecisionInput): Promise<RecordedDecision> {
      return decisions.record(input);
    },

    /** The check behind a decision from before decision tokens (kept for histories that still replay it). */
    async authorizeApprover(input: {
      approvalId: string;
      approver: Approver;
      approverRoles: string[];
      requestedBy: string;
      orgId: string;
    }): Promise<void> {
      await decisions.assertApprover(input);
    },

    /** POSTs the approval request to the org's webhook, if one is configured. */
    async notifyApprovers({ approvalId }: { approvalId: string }): Promise<{ delivered: boolean; status?: number }> {
      return records.notify(approvalId);
    },
  };
}
