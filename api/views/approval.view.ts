import type { SignedDecisionToken } from '../../core/approvals/decision-token.js';
import type { ApprovalRow } from '../../core/db/rows.js';
import type { Decision } from '../../contracts/approval.contract.js';
import { iso } from './iso.js';

/** An approval with the links to decide it. */
export function approvalView(a: ApprovalRow) {
  return {
    id: a.id,
    status: a.status,
    subjectType: a.subject_type,
    subjectId: a.subject_id,
    invocationId: a.invocation_id,
    requestedBy: a.requested_by,
    approverRoles: a.approver_roles,
    context: a.context,
    decidedBy: a.decided_by,
    comment: a.comment,
    expiresAt: iso(a.expires_at),
    decidedAt: iso(a.decided_at),
    createdAt: iso(a.created_at),
    links: {
      self: `/v1/approvals/${a.id}`,
      approve: `/v1/approvals/${a.id}/approve`,
      deny: `/v1/approvals/${a.id}/deny`,
    },
  };
}

/** A standalone approval whose row the workflow had not written yet when the answer was due. */
export function pendingApprovalView(approvalId: string, workflowId: string) {
  return { id: approvalId, status: 'pending', workflowId, links: { self: `/v1/approvals/${approvalId}` } };
}

/** A decision token and the Temporal update that carries it. */
export function decisionTokenView(row: ApprovalRow, decision: Decision, signed: SignedDecisionToken) {
  return {
    approvalId: row.id,
    workflowId: row.workflow_id,
    decision,
    token: signed.token,
    kid: signed.kid,
    jti: signed.jti,
    expiresAt: signed.expiresAt.toISOString(),
    update: { name: 'decide', input: { decision, token: signed.token } },
  };
}
