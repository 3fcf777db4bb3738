import type { ApprovalRow, InvocationRow } from '../../core/db/rows.js';
import { approvalView } from './approval.view.js';
import { iso } from './iso.js';

/** An invocation: its decision, approval, result or error, its tool's latest progress, timings and links. */
export function invocationView(i: InvocationRow, approval?: ApprovalRow) {
  const created = new Date(i.created_at).getTime();
  return {
    invocationId: i.id,
    agentId: i.agent_id,
    capability: i.capability,
    status: i.status,
    input: i.input,
    requestedBy: i.requested_by,
    idempotencyKey: i.idempotency_key,
    // The sandbox its capability ran against, or null: the real server.
    sandboxId: i.sandbox_id ?? null,
    decision: i.decision
      ? {
          allow: i.decision.allow,
          requireApproval: i.decision.requireApproval,
          reasons: i.decision.reasons,
          policyVersion: i.decision.policyVersion,
        }
      : null,
    approval: approval ? approvalView(approval) : null,
    result: i.result ? { content: i.result.content, structuredContent: i.result.structuredContent ?? null } : null,
    error: i.error,
    // The latest progress its tool reported while it ran, or null.
    progress: i.progress
      ? {
          progress: i.progress.progress,
          total: i.progress.total ?? null,
          message: i.progress.message ?? null,
          at: i.progress.at,
        }
      : null,
    workflowId: i.workflow_id,
    timings: {
      createdAt: iso(i.created_at),
      decidedAt: iso(i.decided_at),
      toolStartedAt: iso(i.tool_started_at),
      completedAt: iso(i.completed_at),
      durationMs: i.completed_at ? new Date(i.completed_at).getTime() - created : null,
    },
    links: {
      self: `/v1/invocations/${i.id}`,
      cancel: `/v1/invocations/${i.id}/cancel`,
      audit: `/v1/audit?invocationId=${i.id}`,
      ...(i.approval_id ? { approval: `/v1/approvals/${i.approval_id}` } : {}),
    },
  };
}
