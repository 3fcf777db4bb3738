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

/** The approver as a decision token names them; the workflow re-checks them against the database and policy. */
export interface Approver {
  userId: string;
  orgId: string;
  role: string;
}

/** Where a decision came in: the REST API, the MCP endpoint, or straight to Temporal (CLI, UI) with a token. */
export type DecisionChannel = 'api' | 'mcp' | 'temporal';

export interface DecideInput {
  decision: 'approve' | 'deny';
  /**
   * The decision token: a compact JWS (ES256, `typ: collexa-decision+jwt`) the API signs for one approver,
   * one approval and one decision, valid for minutes and usable once (POST /v1/approvals/:id/decision-token).
   * Required: a decision without a valid token is rejected by the validator.
   */
  token?: string;
  /** Optional and never trusted: when given it must name the token's approver. Histories from before tokens carry it alone. */
  approver?: Approver;
  comment?: string;
}

/** Asks the workflow to load the platform's public signing keys (from PostgreSQL) because it lacks `kid`. */
export interface RefreshDecisionKeysInput {
  kid: string;
}

export interface ApprovalState {
  approvalId: string;
  status: 'pending' | ApprovalOutcome;
  decidedBy: string | null;
  comment: string | null;
  /** How the decision came in, and when it was recorded (decisions from before decision tokens have neither). */
  channel?: DecisionChannel;
  decidedAt?: string;
  /** Key ids of the public signing keys the workflow verifies decision tokens with. */
  signingKids?: string[];
}

/** Approve or deny. Rejected by the validator (never in history) without a valid decision token, or when the approver may not decide. */
export const decideUpdate = defineUpdate<ApprovalState, [DecideInput]>('decide');
/** Loads the public signing keys again (a token signed by a key the workflow does not hold yet); answers the kids held. */
export const refreshDecisionKeysUpdate = defineUpdate<string[], [RefreshDecisionKeysInput]>('refreshDecisionKeys');
export const approvalStateQuery = defineQuery<ApprovalState>('approvalState');

/** Error types a rejected decision carries (ApplicationFailure.type), mapped to HTTP statuses by the API. */
export const DecisionRejection = {
  notPending: 'approval_not_pending',
  wrongOrg: 'approver_wrong_org',
  selfApproval: 'self_approval',
  forbiddenRole: 'approver_role_forbidden',
  invalid: 'invalid_decision',
  policyDenied: 'approver_policy_denied',
  tokenRequired: 'decision_token_required',
  tokenInvalid: 'decision_token_invalid',
  tokenExpired: 'decision_token_expired',
  tokenUnknownKid: 'decision_token_unknown_kid',
  tokenMismatch: 'decision_token_mismatch',
  tokenReused: 'decision_token_reused',
  keysCurrent: 'decision_keys_current',
} as const;

export const approvalWorkflowId = (approvalId: string) => `approval-${approvalId}`;
