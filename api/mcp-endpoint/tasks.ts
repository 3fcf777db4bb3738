import { isTerminalInvocation } from '../../contracts/invocation.contract.js';
import type { ApprovalRow, InvocationRow } from '../../core/db/rows.js';

/** The 2026-07-28 tasks extension (SEP-2663): declared per request in the client's capabilities. */
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

/** How often a requester should poll tasks/get: approvals are decided by people, so seconds are plenty. */
export const TASK_POLL_INTERVAL_MS = 2_000;

export type TaskStatus = 'working' | 'completed' | 'cancelled';

/**
 * An invocation as an MCP task: the task id is the invocation's id, so the task is as durable as the
 * invocation row (written before any answer) and outlives this API process. An invocation that ended in
 * any way but a cancellation is `completed`: denied, expired and failed ones complete with an isError
 * result that says why (the call was made; its answer is a refusal), only a cancellation is `cancelled`.
 */
export interface TaskView {
  taskId: string;
  status: TaskStatus;
  statusMessage: string;
  createdAt: string;
  lastUpdatedAt: string;
}

export function taskView(row: InvocationRow, approval: ApprovalRow | undefined): TaskView {
  return {
    taskId: row.id,
    status: taskStatus(row),
    statusMessage: statusMessage(row, approval),
    createdAt: new Date(row.created_at).toISOString(),
    lastUpdatedAt: new Date(row.updated_at).toISOString(),
  };
}

function taskStatus(row: InvocationRow): TaskStatus {
  if (row.status === 'cancelled') return 'cancelled';
  return isTerminalInvocation(row.status) ? 'completed' : 'working';
}

function statusMessage(row: InvocationRow, approval: ApprovalRow | undefined): string {
  const error = (row.error ?? {}) as { message?: string };
  switch (row.status) {
    case 'pending_approval': {
      if (!approval) return `Waiting for approval ${row.approval_id}`;
      const roles = approval.approver_roles.join(' or ');
      return (
        `Waiting for approval ${approval.id}: an approver (${roles}) must approve or deny it ` +
        `(POST /v1/approvals/${approval.id}/approve or /deny) before ${new Date(approval.expires_at).toISOString()}`
      );
    }
    case 'running':
      return row.tool_started_at ? `Running ${row.capability}` : `Starting ${row.capability}`;
    case 'succeeded':
      return `${row.capability} succeeded`;
    case 'cancelled':
      return 'Cancelled';
    default:
      return `${row.capability} ${row.status}: ${error.message ?? 'no reason recorded'}`;
  }
}

/** The 2026-07-28 task (flat; `ttlMs: null`: the invocation row is kept as the audit record, not expired). */
export function modernTask(view: TaskView) {
  return { ...view, ttlMs: null, pollIntervalMs: TASK_POLL_INTERVAL_MS };
}

/** The 2025-11-25 task (`ttl: null`, as above). */
export function legacyTask(view: TaskView) {
  return { ...view, ttl: null, pollInterval: TASK_POLL_INTERVAL_MS };
}
