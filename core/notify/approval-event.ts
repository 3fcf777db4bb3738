import type { ApprovalRow } from '../db/rows.js';

/** The webhook message id of an approval's notification: the same on every retry, so receivers dedupe on it. */
export const approvalMessageId = (approvalId: string) => `msg_${approvalId}`;

/**
 * The `approval.requested` event (Standard Webhooks payload: `type`, `timestamp`, `data`). `data.approval`
 * holds what Collexa states; `data.untrusted` holds what the requester wrote (a standalone approval's
 * subjectId and context), which approvers must read as the requester's words, not Collexa's.
 */
export function approvalRequestedEvent(row: ApprovalRow): { msgId: string; payload: Record<string, unknown> } {
  const fromInvocation = row.invocation_id !== null;
  const ctx = row.context as { agentId?: unknown; capability?: unknown; reasons?: unknown };
  return {
    msgId: approvalMessageId(row.id),
    payload: {
      type: 'approval.requested',
      timestamp: new Date(row.created_at).toISOString(),
      data: {
        approval: {
          id: row.id,
          orgId: row.org_id,
          subjectType: row.subject_type,
          requestedBy: row.requested_by,
          approverRoles: row.approver_roles,
          expiresAt: new Date(row.expires_at).toISOString(),
          links: { self: `/v1/approvals/${row.id}` },
          // An invocation's approval: the workflow wrote the context from the agent and the policy decision.
          ...(fromInvocation
            ? {
                invocation: {
                  id: row.invocation_id,
                  agentId: ctx.agentId,
                  capability: ctx.capability,
                  policyReasons: ctx.reasons,
                },
              }
            : {}),
        },
        untrusted: fromInvocation ? {} : { subjectId: row.subject_id, context: row.context },
      },
    },
  };
}
