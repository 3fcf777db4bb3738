import { defineQuery, defineUpdate } from '@temporalio/workflow';

/** Every state an approval (its row and its workflow) can be in; all but `pending` are final. */
export const APPROVAL_STATUSES = ['pending', 'approved', 'denied', 'expired', 'cancelled'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];
export type ApprovalOutcome = Exclude<ApprovalStatus, 'pending'>;

export const DECISIONS = ['approve', 'deny'] as const;
export type Decision = (typeof DECISIONS)[number];

/** Where a decision came in: the REST API, the MCP endpoint, or straight to Temporal (CLI, UI) with a token. */
export const DECISION_CHANNELS = ['api', 'mcp', 'temporal'] as const;
export type DecisionChannel = (typeof DECISION_CHANNELS)[number];

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

export interface DecideInput {
  decision: Decision;
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
  status: ApprovalStatus;
  decidedBy: string | null;
  comment: string | null;
  /** How the decision came in, and when it was recorded (decisions from before decision tokens have neither). */
  channel?: DecisionChannel;
  decidedAt?: string;
  /** Key ids of the public signing keys the workflow verifies decision tokens with. */
  signingKids?: string[];
}

/** A public P-256 signing key as the workflow holds it (JWK coordinates, base64url). */
export interface DecisionKey {
  kid: string;
  x: string;
  y: string;
}

/** The JOSE header type and audience of a decision token: signed by core/approvals, verified by the workflow. */
export const DECISION_TOKEN_TYP = 'collexa-decision+jwt';
export const DECISION_TOKEN_AUDIENCE = 'collexa:approval-decision';

/** A human decision with a deadline: pending → approved | denied | expired (or cancelled with its parent). */
export type ApprovalWorkflow = (input: ApprovalInput) => Promise<ApprovalResult>;
export const APPROVAL_WORKFLOW = 'approvalWorkflow';

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
