import { defineQuery, defineUpdate } from '@temporalio/workflow';

/** Every state of a pipeline; the last three are final (`failed` waits for a retry within its window first). */
export const PIPELINE_STATUSES = ['running', 'pending_approval', 'succeeded', 'failed', 'cancelled'] as const;
export type PipelineStatus = (typeof PIPELINE_STATUSES)[number];

/** The stages, in the order they run. */
export const PIPELINE_STAGES = ['plan', 'architect', 'code', 'approval', 'deploy', 'notify'] as const;
export type PipelineStage = (typeof PIPELINE_STAGES)[number];

export const STAGE_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'] as const;
export type StageStatus = (typeof STAGE_STATUSES)[number];

/** The governed tool steps a pipeline may take, each one invocation of one of the agent's capabilities. */
export const PIPELINE_TOOL_STEPS = ['jira_epic', 'confluence_page', 'slack_plan', 'deploy', 'notify'] as const;
export type PipelineToolStep = (typeof PIPELINE_TOOL_STEPS)[number];

/** Why a stage or the pipeline ended other than in success. */
export interface PipelineError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** Input of pipelineWorkflow: ids and durations only; activities read the rest from the pipeline row. */
export interface PipelineInput {
  pipelineId: string;
  orgId: string;
  agentId: string;
  requestedBy: string;
  /** Whether the request named a deployTarget: without one the approval gate and the deploy are skipped. */
  hasDeployTarget: boolean;
  /** How long the deploy's approval (and an approval a step's policy asks for) may wait (ms). */
  approvalTimeoutMs: number;
  /** How long a failed pipeline waits for a retry before it ends failed for good (ms). */
  retryWindowMs: number;
}

export interface PipelineResult {
  pipelineId: string;
  status: Extract<PipelineStatus, 'succeeded' | 'failed' | 'cancelled'>;
  error?: PipelineError;
}

export interface PipelineState {
  pipelineId: string;
  status: PipelineStatus;
  stages: Record<PipelineStage, StageStatus>;
  /** The stage that failed and waits for a retry, if any. */
  failedStage: PipelineStage | null;
  approvalId: string | null;
}

/** plan → governed tool steps → architect → code → four-eyes approval → governed deploy → notify. */
export type PipelineWorkflow = (input: PipelineInput) => Promise<PipelineResult>;
export const PIPELINE_WORKFLOW = 'pipelineWorkflow';

export const pipelineWorkflowId = (pipelineId: string) => `pipeline-${pipelineId}`;

/** The idempotency key of a pipeline's tool step: one invocation per step and attempt, whoever runs it again. */
export function pipelineStepKey(pipelineId: string, step: string, attempt: number): string {
  return attempt <= 1 ? `pipeline-${pipelineId}-${step}` : `pipeline-${pipelineId}-${step}-attempt-${attempt}`;
}

/** The approval subject of a pipeline's deploy gate. */
export const PIPELINE_APPROVAL_SUBJECT = 'pipeline_deploy';

export const pipelineStateQuery = defineQuery<PipelineState>('pipelineState');
/**
 * Runs the failed stage again (its completed steps, and every completed stage, are kept). Rejected by the
 * validator, so never in history, unless a stage has failed and waits.
 */
export const retryPipelineUpdate = defineUpdate<PipelineState, [{ requestedBy: string }]>('retryPipeline');

/** The error type the retry validator rejects with (mapped to 409 by the API). */
export const PIPELINE_NOT_FAILED = 'pipeline_not_failed';
