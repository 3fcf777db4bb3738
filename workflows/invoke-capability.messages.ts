import { defineQuery } from '@temporalio/workflow';

/** Input of invokeCapabilityWorkflow: ids only; the activities read the rest from the invocation row. */
export interface InvokeInput {
  invocationId: string;
  orgId: string;
  agentId: string;
  capability: string;
  requestedBy: string;
  /** How long an approval may wait before the invocation expires (default 24 h). */
  approvalTimeoutMs?: number;
}

export type InvocationStatus = 'pending_approval' | 'running' | 'succeeded' | 'failed' | 'denied' | 'expired' | 'cancelled';

export interface InvokeResult {
  invocationId: string;
  status: InvocationStatus;
}

export interface InvocationState {
  invocationId: string;
  status: InvocationStatus;
  approvalId: string | null;
}

/** The policy's answer, as recorded on the invocation. */
export interface PolicyDecision {
  allow: boolean;
  requireApproval: boolean;
  approverRoles: string[];
  reasons: string[];
  policyVersion: string;
}

export const invocationStateQuery = defineQuery<InvocationState>('invocationState');

export const DEFAULT_APPROVAL_TIMEOUT_MS = 24 * 60 * 60 * 1000;
