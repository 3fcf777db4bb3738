import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/workflow';
import { PIPELINE_NOT_FAILED, type PipelineError } from '../contracts/pipeline.contract.js';

/** A stage's own verdict (a step's invocation did not succeed, the approval was denied): its error as recorded. */
export class StageFailed extends Error {
  constructor(readonly error: PipelineError) {
    super(error.message);
    this.name = 'StageFailed';
  }
}

/** The retry validator's rejection (never in history). */
export const notRetryable = (message: string) =>
  ApplicationFailure.create({ type: PIPELINE_NOT_FAILED, message, nonRetryable: true });

/** What failed a stage, as the pipeline row records it: the activity's or child's ApplicationFailure type and message. */
export function errorOf(err: unknown): PipelineError {
  if (err instanceof StageFailed) return err.error;
  const cause = err instanceof ActivityFailure || err instanceof ChildWorkflowFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const details = cause.details?.[0];
    return {
      code: cause.type ?? 'stage_failed',
      message: cause.message,
      ...(details && typeof details === 'object' ? { details: details as Record<string, unknown> } : {}),
    };
  }
  const message = cause instanceof Error ? cause.message : err instanceof Error ? err.message : String(err);
  if (err instanceof ActivityFailure) return { code: 'activity_failed', message };
  if (err instanceof ChildWorkflowFailure) return { code: 'child_failed', message };
  return { code: 'stage_failed', message };
}
