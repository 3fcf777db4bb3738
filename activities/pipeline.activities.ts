import { Context } from '@temporalio/activity';
import type { PipelineError, PipelineStatus } from '../contracts/pipeline.contract.js';
import type { DiffSummary } from '../core/pipelines/generated-files.js';
import { PipelineRecords, type MarkStage, type MarkStep } from '../core/pipelines/pipeline-records.js';
import { PipelineStages, type StageAttempt, type StageSummary } from '../core/pipelines/pipeline-stages.js';
import { PipelineSteps, type StepRecording, type StepRequest } from '../core/pipelines/pipeline-steps.js';
import type { ActivityDeps } from './index.js';

// Well inside the LLM activities' heartbeatTimeout (workflows/pipeline.workflow.ts).
const HEARTBEAT_MS = 5_000;

/** Runs an LLM stage heartbeating (a lost worker is noticed within the heartbeat timeout), aborted on cancellation. */
async function heartbeating<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_MS);
  try {
    return await run(ctx.cancellationSignal);
  } finally {
    clearInterval(timer);
  }
}

/** Activities of pipelineWorkflow: its row's transitions, the LLM stages and the recording of its governed tool steps. */
export function createPipelineActivities(deps: ActivityDeps) {
  const records = new PipelineRecords(deps.db);
  const stages = new PipelineStages(deps.db, deps.llm);
  const steps = new PipelineSteps(deps.db, deps.policy);

  return {
    async markPipelineStage(input: MarkStage): Promise<void> {
      await records.markStage(input);
    },

    async markPipelineStep(input: MarkStep): Promise<void> {
      await records.markStep(input);
    },

    async markPipeline(input: { pipelineId: string; status: PipelineStatus; error?: PipelineError }): Promise<void> {
      await records.markPipeline(input);
    },

    /** The plan (LLM, structured), stored as an artifact. */
    async planPipeline(input: StageAttempt): Promise<StageSummary> {
      return heartbeating((signal) => stages.plan({ ...input, signal }));
    },

    /** The design (LLM, structured), stored as an artifact. */
    async architectPipeline(input: StageAttempt): Promise<StageSummary> {
      return heartbeating((signal) => stages.architect({ ...input, signal }));
    },

    /** The code (LLM, files as artifacts); answers the diff summary the approval shows. */
    async codePipeline(input: StageAttempt): Promise<DiffSummary> {
      return heartbeating((signal) => stages.code({ ...input, signal }));
    },

    /** Records one governed tool step as an invocation (the REST door's code), or says why it is skipped. */
    async recordPipelineStep(input: StepRequest): Promise<StepRecording> {
      return steps.record(input);
    },
  };
}
