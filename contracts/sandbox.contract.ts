import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/** How a sandbox stands in for its target system. */
export const SANDBOX_MODES = ['mock', 'emulated', 'connected'] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];

/** Every state of a sandbox; the last four are final. */
export const SANDBOX_STATUSES = [
  'pending_approval',
  'provisioning',
  'running',
  'stopping',
  'stopped',
  'expired',
  'failed',
] as const;
export type SandboxStatus = (typeof SANDBOX_STATUSES)[number];
export const TERMINAL_SANDBOX_STATUSES = ['stopped', 'expired', 'failed'] as const;
export const isTerminalSandbox = (status: string): boolean =>
  (TERMINAL_SANDBOX_STATUSES as readonly string[]).includes(status);

/** Why a sandbox ended (the workflow's verdict; `failed` carries a reason too). */
export type SandboxEnd =
  | { status: 'stopped'; reason: 'deleted' | 'idle' | 'approval_denied' | 'approval_expired' }
  | { status: 'expired'; reason: 'ttl' }
  | { status: 'failed'; reason: string };

/** Input of sandboxWorkflow: ids and durations only; activities read the rest from the sandbox row. */
export interface SandboxInput {
  sandboxId: string;
  orgId: string;
  agentId: string;
  mode: SandboxMode;
  requestedBy: string;
  /** How long the sandbox may live from the moment it runs (ms). */
  ttlMs: number;
  /** A sandbox nobody called for this long is stopped (ms). */
  idleMs: number;
  /** How long a connected sandbox's approval may wait (ms). */
  approvalTimeoutMs: number;
}

export interface SandboxState {
  status: SandboxStatus;
  reason: string | null;
}

/** One sandbox from provisioning to teardown; teardown runs whatever happens. */
export type SandboxWorkflow = (input: SandboxInput) => Promise<SandboxEnd>;
export const SANDBOX_WORKFLOW = 'sandboxWorkflow';

export const sandboxWorkflowId = (sandboxId: string) => `sandbox-${sandboxId}`;

/** Stops the sandbox (DELETE): teardown follows. */
export const stopSandboxSignal = defineSignal('stopSandbox');
/** Puts the sandbox back in its initial state and answers once it is (POST …/reset). */
export const resetSandboxUpdate = defineUpdate<{ status: SandboxStatus }>('resetSandbox');
export const sandboxStateQuery = defineQuery<SandboxState>('sandboxState');

/** What the hosting activity reports when it returns by itself. */
export interface HostingEnd {
  reason: 'idle' | 'exited';
  detail?: string;
}
