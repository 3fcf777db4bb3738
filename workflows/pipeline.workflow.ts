import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  executeChild,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import { approvalWorkflowId } from '../contracts/approval.contract.js';
import {
  PIPELINE_APPROVAL_SUBJECT,
  PIPELINE_STAGES,
  pipelineStateQuery,
  retryPipelineUpdate,
  type PipelineError,
  type PipelineResult,
  type PipelineStage,
  type PipelineState,
  type PipelineToolStep,
  type PipelineWorkflow,
  type StageStatus,
} from '../contracts/pipeline.contract.js';
import { invocationSearchAttributes } from '../contracts/invocation.contract.js';
import { AgentIdKey, OrgIdKey, StatusKey } from '../contracts/search-attributes.js';
import { dbSteps, type Activities } from './activity-proxies.js';
import { approvalWorkflow } from './approval.workflow.js';
import { invokeCapabilityWorkflow } from './invoke-capability.workflow.js';
import { errorOf, notRetryable, StageFailed } from './pipeline-errors.js';

const db = dbSteps;
// LLM stages: the gateway falls back across providers itself; Temporal retries what is left retryable
// (5xx, timeouts, a bad output once more). They heartbeat, so a lost worker is noticed in 30 s, not 10 min.
const llm = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 4 },
});
// Recording a step: database work and the door's admission (a rate-limited step waits and tries again).
const steps = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 20 },
});
const APPROVER_ROLES = ['approver', 'admin'];
const PLAN_STEPS = ['jira_epic', 'confluence_page', 'slack_plan'] as const;

/**
 * plan → governed tool steps (Jira epic, Confluence page, Slack post) → architect → code → four-eyes
 * approval → governed deploy → notify. Every completed step's result is kept in workflow state (and so in
 * history): a failed stage retried through retryPipelineUpdate runs again from where it failed and never
 * repeats a completed step or stage. A denied or expired approval fails the approval stage
 * (approval_denied / approval_expired), retryable like any other. Cancelling the workflow cancels its
 * running children and marks the pipeline and its current stage cancelled.
 */
export const pipelineWorkflow: PipelineWorkflow = async (input) => {
  const { pipelineId } = input;
  const state: PipelineState = {
    pipelineId,
    status: 'running',
    stages: Object.fromEntries(PIPELINE_STAGES.map((s) => [s, 'pending'])) as Record<PipelineStage, StageStatus>,
    failedStage: null,
    approvalId: null,
  };
  const attempts = Object.fromEntries(PIPELINE_STAGES.map((s) => [s, 0])) as Record<PipelineStage, number>;
  // Results of completed steps by key: what a retry or the rest of the run reads instead of running them again.
  const done = new Map<string, unknown>();
  let retryRequested = false;
  let cancelRequested = false;
  CancellationScope.current().cancelRequested.catch(() => void (cancelRequested = true));
  setHandler(pipelineStateQuery, () => state);
  // Who asked is audited by the door (core/pipelines/pipeline.service.ts) before the update is sent.
  // It answers once the pipeline is running again (its row says so), so the caller reads that, not `failed`.
  setHandler(
    retryPipelineUpdate,
    async (_by) => {
      retryRequested = true;
      await condition(() => !retryRequested);
      return state;
    },
    {
      validator: (_by) => {
        if (state.status !== 'failed' || state.failedStage === null || retryRequested)
          throw notRetryable(`The pipeline is ${state.status}; only a failed stage can be retried`);
      },
    },
  );
  upsertSearchAttributes([
    { key: OrgIdKey, value: input.orgId },
    { key: AgentIdKey, value: input.agentId },
    { key: StatusKey, value: 'running' },
  ]);
  const setStatus = (status: PipelineState['status']) => {
    state.status = status;
    upsertSearchAttributes([{ key: StatusKey, value: status }]);
  };

  const once = async <T>(key: string, run: () => Promise<T>): Promise<T> => {
    if (done.has(key)) return done.get(key) as T;
    const value = await run();
    done.set(key, value);
    return value;
  };
  const attemptOf = (stage: PipelineStage) => ({ pipelineId, attempt: attempts[stage] });

  /** One governed tool step: recorded through the invoke door's code, then run as the invocation's own workflow. */
  const toolStep = async (stage: PipelineStage, step: PipelineToolStep, index = 0, outcome?: string) => {
    const name = step === 'deploy' ? `deploy-${index}` : step;
    return once(`step:${name}`, async () => {
      const rec = await steps.recordPipelineStep({
        pipelineId,
        step,
        index,
        attempt: attempts[stage],
        approvalTimeoutMs: input.approvalTimeoutMs,
        ...(outcome ? { outcome } : {}),
      });
      if (rec.kind === 'skipped') return { status: 'skipped' as const, of: 0 };
      let status = rec.kind === 'ended' ? rec.status : undefined;
      if (rec.kind === 'invoke') {
        try {
          ({ status } = await executeChild(invokeCapabilityWorkflow, {
            workflowId: rec.workflowId,
            args: [rec.input],
            parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
            typedSearchAttributes: invocationSearchAttributes(rec.input),
          }));
        } catch (err) {
          // A failed invocation fails its workflow (FAILED_WORKFLOW_PATCH) with an ApplicationFailure: the
          // step ends `failed` as it did when that invocation completed with status failed.
          if (err instanceof ChildWorkflowFailure && err.cause instanceof ApplicationFailure) status = 'failed';
          else {
            // The invocation's workflow itself failed (terminated, timed out): the step says so, not `running`.
            if (!isCancellation(err))
              await db.markPipelineStep({
                pipelineId,
                stage,
                step: name,
                status: 'failed',
                invocationId: rec.invocationId,
              });
            throw err;
          }
        }
      }
      const stepStatus: StageStatus =
        status === 'succeeded' ? 'succeeded' : status === 'cancelled' ? 'cancelled' : 'failed';
      await db.markPipelineStep({ pipelineId, stage, step: name, status: stepStatus, invocationId: rec.invocationId });
      if (status !== 'succeeded')
        throw new StageFailed({
          code: `invocation_${status}`,
          message: `Step ${name}: invocation ${rec.invocationId} ended ${status}`,
          details: { step: name, invocationId: rec.invocationId },
        });
      return { status: 'succeeded' as const, of: rec.kind === 'invoke' ? rec.of : 1 };
    });
  };

  type Summary = { title?: string; summary: string };
  const plan = () => once('plan', () => llm.planPipeline(attemptOf('plan'))) as Promise<Summary>;
  const design = () => once('architect', () => llm.architectPipeline(attemptOf('architect'))) as Promise<Summary>;
  const code = () => once('code', () => llm.codePipeline(attemptOf('code')));

  const gate = async (): Promise<StageStatus> => {
    if (!input.hasDeployTarget) return 'skipped';
    const approvalId = uuid4();
    const [p, d, diff] = [await plan(), await design(), await code()];
    state.approvalId = approvalId;
    setStatus('pending_approval');
    // The approval's opening marks the pipeline pending_approval in the transaction that writes its row.
    const approval = await executeChild(approvalWorkflow, {
      workflowId: approvalWorkflowId(approvalId),
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      args: [
        {
          approvalId,
          orgId: input.orgId,
          subjectType: PIPELINE_APPROVAL_SUBJECT,
          subjectId: pipelineId,
          requestedBy: input.requestedBy,
          approverRoles: APPROVER_ROLES,
          context: { pipelineId, agentId: input.agentId, plan: p, design: d.summary, diff },
          expiresInMs: input.approvalTimeoutMs,
        },
      ],
    });
    if (cancelRequested || approval.status === 'cancelled')
      throw new StageFailed({ code: 'cancelled', message: 'cancelled' });
    setStatus('running');
    await db.markPipeline({ pipelineId, status: 'running' });
    if (approval.status === 'approved') return 'succeeded';
    throw new StageFailed(
      approval.status === 'denied'
        ? {
            code: 'approval_denied',
            message: approval.comment ?? 'denied by an approver',
            details: { decidedBy: approval.decidedBy },
          }
        : { code: 'approval_expired', message: 'no approver decided before the approval expired' },
    );
  };

  const RUN: Record<PipelineStage, () => Promise<StageStatus>> = {
    plan: async () => {
      await plan();
      for (const step of PLAN_STEPS) await toolStep('plan', step);
      return 'succeeded';
    },
    architect: async () => (await design(), 'succeeded'),
    code: async () => (await code(), 'succeeded'),
    approval: gate,
    deploy: async () => {
      if (!input.hasDeployTarget) return 'skipped';
      const first = await toolStep('deploy', 'deploy', 0);
      for (let i = 1; i < first.of; i++) await toolStep('deploy', 'deploy', i);
      return first.status;
    },
    notify: async () => {
      const diff = await code();
      const deployed = input.hasDeployTarget
        ? `deployed ${diff.files} files (${diff.lines} lines)`
        : 'no deploy target';
      return (await toolStep('notify', 'notify', 0, `succeeded: ${diff.files} files written, ${deployed}`)).status;
    },
  };

  let current: PipelineStage = 'plan';
  const cancelled = async (): Promise<PipelineResult> =>
    CancellationScope.nonCancellable(async () => {
      if (state.stages[current] === 'running' || state.stages[current] === 'failed') {
        state.stages[current] = 'cancelled';
        await db.markPipelineStage({ pipelineId, stage: current, status: 'cancelled' });
      }
      setStatus('cancelled');
      await db.markPipeline({ pipelineId, status: 'cancelled' });
      return { pipelineId, status: 'cancelled' };
    });

  for (;;) {
    let failure: PipelineError | undefined;
    try {
      for (const stage of PIPELINE_STAGES) {
        if (state.stages[stage] === 'succeeded' || state.stages[stage] === 'skipped') continue;
        current = stage;
        attempts[stage] += 1;
        state.stages[stage] = 'running';
        await db.markPipelineStage({ pipelineId, stage, status: 'running', attempt: attempts[stage] });
        const outcome = await RUN[stage]();
        state.stages[stage] = outcome;
        await db.markPipelineStage({ pipelineId, stage, status: outcome });
      }
    } catch (err) {
      if (cancelRequested || isCancellation(err)) return cancelled();
      failure = errorOf(err);
    }
    if (!failure) break;
    const error: PipelineError = { ...failure, details: { ...failure.details, stage: current } };
    state.stages[current] = 'failed';
    state.failedStage = current;
    await db.markPipelineStage({ pipelineId, stage: current, status: 'failed', error: failure });
    setStatus('failed');
    await db.markPipeline({ pipelineId, status: 'failed', error });
    try {
      await condition(() => retryRequested, input.retryWindowMs);
    } catch (err) {
      if (isCancellation(err)) return cancelled();
      throw err;
    }
    if (!retryRequested) return { pipelineId, status: 'failed', error };
    state.failedStage = null;
    setStatus('running');
    await db.markPipeline({ pipelineId, status: 'running' });
    retryRequested = false;
  }

  setStatus('succeeded');
  await db.markPipeline({ pipelineId, status: 'succeeded' });
  return { pipelineId, status: 'succeeded' };
};
