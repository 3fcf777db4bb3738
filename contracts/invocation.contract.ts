import { defineQuery } from '@temporalio/workflow';
import { AgentIdKey, CapabilityKey, OrgIdKey, StatusKey } from './search-attributes.js';

/** Every state an invocation (its row and its workflow) can be in. */
export const INVOCATION_STATUSES = [
  'pending_approval',
  'running',
  'succeeded',
  'failed',
  'denied',
  'expired',
  'cancelled',
] as const;
export type InvocationStatus = (typeof INVOCATION_STATUSES)[number];
/** The states an invocation never leaves. */
export const TERMINAL_INVOCATION_STATUSES = [
  'succeeded',
  'failed',
  'denied',
  'expired',
  'cancelled',
] as const satisfies readonly InvocationStatus[];
export const isTerminalInvocation = (status: InvocationStatus): boolean =>
  (TERMINAL_INVOCATION_STATUSES as readonly string[]).includes(status);

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

export interface InvokeResult {
  invocationId: string;
  status: InvocationStatus;
}

export interface InvocationState {
  invocationId: string;
  status: InvocationStatus;
  approvalId: string | null;
}

/** Why an invocation ended other than in success, as recorded on its row. */
export interface InvocationError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/**
 * The latest progress an invocation's tool reported (MCP `notifications/progress` during its tools/call), as
 * the worker records it on the row: numbers finite, `message` redacted of bound secrets and at most 500
 * characters. Within one call attempt `progress` only increases; a retried attempt is a new request, whose
 * progress starts over (it replaces the row's value as it comes).
 */
export interface InvocationProgress {
  progress: number;
  total?: number;
  message?: string;
  /** When the worker heard it (ISO 8601). */
  at: string;
}

/** The invoke policy's answer (collexa.authz.invoke), as recorded on the invocation. */
export interface PolicyDecision {
  allow: boolean;
  requireApproval: boolean;
  approverRoles: string[];
  reasons: string[];
  policyVersion: string;
}

/** Governed capability invocation: policy → optional human approval → MCP tool call → recorded outcome. */
export type InvokeCapabilityWorkflow = (input: InvokeInput) => Promise<InvokeResult>;
export const INVOKE_CAPABILITY_WORKFLOW = 'invokeCapabilityWorkflow';

export const invocationStateQuery = defineQuery<InvocationState>('invocationState');

export const DEFAULT_APPROVAL_TIMEOUT_MS = 24 * 60 * 60 * 1000;

/**
 * The invocation's workflow id: `invoke-<orgId>-key=<Idempotency-Key>` or `invoke-<orgId>-<invocationId>`.
 * `=` is in neither a key nor a uuid, so a key can never name another invocation's workflow (a key equal to
 * an invocation id once did: its row never started and its cancel reached the other). Rows keep the id their
 * workflow was started with, so workflows started under the old `invoke-<orgId>-<key>` are still found.
 */
export function invocationWorkflowId(orgId: string, idempotencyKey: string | null, invocationId: string): string {
  return idempotencyKey === null ? `invoke-${orgId}-${invocationId}` : `invoke-${orgId}-key=${idempotencyKey}`;
}

/** The search attributes an invocation's workflow starts with, whoever starts it (the invoke door, a pipeline). */
export const invocationSearchAttributes = (input: InvokeInput) => [
  { key: OrgIdKey, value: input.orgId },
  { key: AgentIdKey, value: input.agentId },
  { key: CapabilityKey, value: input.capability },
  { key: StatusKey, value: 'running' },
];
