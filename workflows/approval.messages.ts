import { defineQuery, defineUpdate } from '@temporalio/workflow';

/** Input of approvalWorkflow: who asked, for what, who may decide, and for how long. */
export interface ApprovalInput {
  approvalId: string;
  orgId: string;
  subjectType: string;
  subjectId: string;
  invocationId?: string;
  requestedBy: string;
  /** Roles that may decide, from policy (collexa.authz.invoke approver_roles). */
  approverRoles: string[];
  context: Record<string, unknown>;
  expiresInMs: number;
}

export type ApprovalOutcome = 'approved' | 'denied' | 'expired' | 'cancelled';

export interface ApprovalResult {
  approvalId: string;
  status: ApprovalOutcome;
  decidedBy: string | null;
  comment: string | null;
}

/** The approver as the caller vouches for them; the workflow re-checks them against the database and policy. */
export interface Approver {
  userId: string;
  orgId: string;
  role: string;
}

export interface DecideInput {
  decision: 'approve' | 'deny';
  approver: Approver;
  comment?: string;
}

export interface ApprovalState {
  approvalId: string;
  status: 'pending' | ApprovalOutcome;
  decidedBy: string | null;
  comment: string | null;
}

/** Approve or deny. Rejected by the validator (never in history) when the approver may not decide. */
export const decideUpdate = defineUpdate<ApprovalState, [DecideInput]>('decide');
export const approvalStateQuery = defineQuery<ApprovalState>('approvalState');

/** Error types a rejected decision carries (ApplicationFailure.type), mapped to HTTP statuses by the API. */
export const DecisionRejection = {
  notPending: 'approval_not_pending',
  wrongOrg: 'approver_wrong_org',
  selfApproval: 'self_approval',
  forbiddenRole: 'approver_role_forbidden',
  invalid: 'invalid_decision',
  policyDenied: 'approver_policy_denied',
} as const;

export const approvalWorkflowId = (approvalId: string) => `approval-${approvalId}`;
