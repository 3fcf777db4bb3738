// pipelineWorkflow on the time-skipping server with mocked activities: stage order, the governed steps as
// child invocations, the four-eyes gate (approved, denied, expired, cancelled), a failed stage retried
// without repeating what completed, and skipped steps.
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { approvalWorkflowId, decideUpdate } from '../../contracts/approval.contract.js';
import {
  PIPELINE_NOT_FAILED,
  pipelineStateQuery,
  pipelineWorkflowId,
  retryPipelineUpdate,
  type PipelineInput,
  type PipelineState,
} from '../../contracts/pipeline.contract.js';
import type { pipelineWorkflow } from '../../workflows/pipeline.workflow.js';
import {
  activitiesCompleted,
  approvalActivities,
  decisionSigner,
  FAST,
  startTimeSkipping,
  testServerPath,
  withWorker,
  workflowBundle,
  type Activities,
} from '../helpers/time-skipping.js';
import { waitFor } from '../helpers/wait.js';

const server = testServerPath();
let env: TestWorkflowEnvironment;
let bundle: { code: string };
let signer: Awaited<ReturnType<typeof decisionSigner>>;

const HOUR = 3600_000;
const input = (over: Partial<PipelineInput> = {}): PipelineInput => ({
  pipelineId: randomUUID(),
  orgId: `org-${randomUUID()}`,
  agentId: randomUUID(),
  requestedBy: 'requester',
  hasDeployTarget: true,
  approvalTimeoutMs: 24 * HOUR,
  retryWindowMs: 7 * 24 * HOUR,
  ...over,
});

/** Mocks of the pipeline's activities, its child invocations' and its approval's; `log` has what ran, in order. */
function activities(opts: { skip?: string[]; deployFiles?: number } = {}) {
  const log: string[] = [];
  const record = vi.fn<Activities['recordPipelineStep']>(async (req) => {
    const name = req.step === 'deploy' ? `deploy-${req.index}` : req.step;
    log.push(`record:${name}`);
    if (opts.skip?.includes(req.step)) return { kind: 'skipped', reason: `no capability for ${req.step}` };
    const invocationId = randomUUID();
    return {
      kind: 'invoke',
      invocationId,
      workflowId: `invoke-test-${invocationId}`,
      input: { invocationId, orgId: 'org', agentId: 'agent', capability: name, requestedBy: 'requester' },
      of: req.step === 'deploy' ? (opts.deployFiles ?? 1) : 1,
    };
  });
  const acts = {
    ...approvalActivities(signer.key),
    markPipelineStage: vi.fn<Activities['markPipelineStage']>(async () => undefined),
    markPipelineStep: vi.fn<Activities['markPipelineStep']>(async () => undefined),
    markPipeline: vi.fn<Activities['markPipeline']>(async () => undefined),
    planPipeline: vi.fn<Activities['planPipeline']>(async () => (log.push('plan'), { title: 'T', summary: 'plan' })),
    architectPipeline: vi.fn<Activities['architectPipeline']>(
      async () => (log.push('architect'), { summary: 'design' }),
    ),
    codePipeline: vi.fn<Activities['codePipeline']>(
      async () => (log.push('code'), { files: 2, lines: 10, bytes: 100, paths: ['a.ts', 'b.ts'] }),
    ),
    recordPipelineStep: record,
    decideInvocation: vi.fn<Activities['decideInvocation']>(async () => ({
      allow: true,
      requireApproval: false,
      approverRoles: [],
      reasons: [],
      policyVersion: 'test',
    })),
    // The child invocations' budget check: no budget.
    checkInvocationBudget: vi.fn<Activities['checkInvocationBudget']>(async () => ({
      exceeded: false,
      budgetMinor: null,
      spentMicros: 0,
    })),
    markInvocation: vi.fn<Activities['markInvocation']>(async () => undefined),
    finishInvocation: vi.fn<Activities['finishInvocation']>(async () => undefined),
    callCapabilityTool: vi.fn<Activities['callCapabilityTool']>(async () => void log.push('tool')),
  };
  acts.openApproval.mockImplementation(async (i) => {
    log.push('approval');
    return { expiresAt: new Date(Date.now() + i.expiresInMs).toISOString(), keys: [signer.key] };
  });
  return { acts, log };
}

type Acts = ReturnType<typeof activities>['acts'];

/** Runs one pipeline to its end on a worker with `acts`; `during` acts on it while it runs. */
async function run(acts: Acts, args: PipelineInput, during?: () => Promise<void>) {
  return withWorker(env, bundle, acts, async (taskQueue) => {
    const handle = await env.client.workflow.start<typeof pipelineWorkflow>('pipelineWorkflow', {
      taskQueue,
      workflowId: pipelineWorkflowId(args.pipelineId),
      args: [args],
    });
    if (during) await during();
    return handle.result();
  });
}

const stateOf = (args: PipelineInput) =>
  env.client.workflow.getHandle(pipelineWorkflowId(args.pipelineId)).query(pipelineStateQuery);
const until = (args: PipelineInput, what: string, ok: (s: PipelineState) => boolean) =>
  waitFor(() => stateOf(args), ok, { what, ...FAST });

/** Waits for the gate's approval (its webhook sent), then decides it as `userId`. */
async function decide(args: PipelineInput, decision: 'approve' | 'deny', userId = 'approver-1') {
  const { approvalId } = await until(args, 'the gate', (s) => s.status === 'pending_approval' && !!s.approvalId);
  const approval = env.client.workflow.getHandle(approvalWorkflowId(approvalId!));
  await activitiesCompleted(approval);
  const token = await signer.sign({
    approvalId: approvalId!,
    orgId: args.orgId,
    userId,
    role: 'approver',
    decision,
    nowMs: await env.currentTimeMs(),
  });
  return approval.executeUpdate(decideUpdate, { args: [{ decision, token }] });
}

describe.skipIf(!server)('pipelineWorkflow (time-skipping, mocked activities)', () => {
  beforeAll(async () => {
    [env, bundle, signer] = await Promise.all([startTimeSkipping(server!), workflowBundle(), decisionSigner()]);
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('runs plan, its three tool steps, architect, code, the gate, a deploy per file and notify, in that order', async () => {
    const { acts, log } = activities({ deployFiles: 2 });
    const args = input();
    const result = await run(acts, args, () => decide(args, 'approve').then(() => undefined));
    expect(result).toEqual({ pipelineId: args.pipelineId, status: 'succeeded' });
    expect(log).toEqual([
      'plan',
      'record:jira_epic',
      'tool',
      'record:confluence_page',
      'tool',
      'record:slack_plan',
      'tool',
      'architect',
      'code',
      'approval',
      'record:deploy-0',
      'tool',
      'record:deploy-1',
      'tool',
      'record:notify',
      'tool',
    ]);
    // The gate's context carries the plan, the design and the diff summary; the requester is who may not decide.
    expect(acts.openApproval).toHaveBeenCalledWith(
      expect.objectContaining({
        subjectType: 'pipeline_deploy',
        subjectId: args.pipelineId,
        requestedBy: 'requester',
        approverRoles: ['approver', 'admin'],
        context: expect.objectContaining({
          plan: { title: 'T', summary: 'plan' },
          design: 'design',
          diff: { files: 2, lines: 10, bytes: 100, paths: ['a.ts', 'b.ts'] },
        }),
      }),
    );
    const stages = acts.markPipelineStage.mock.calls.map(([c]) => `${c.stage}:${c.status}`);
    expect(stages.filter((s) => s.endsWith(':succeeded'))).toEqual(
      ['plan', 'architect', 'code', 'approval', 'deploy', 'notify'].map((s) => `${s}:succeeded`),
    );
    expect(acts.markPipeline).toHaveBeenLastCalledWith({ pipelineId: args.pipelineId, status: 'succeeded' });
  });

  it('refuses the requester deciding their own gate (four eyes)', async () => {
    const { acts } = activities();
    const args = input();
    const result = await run(acts, args, async () => {
      await expect(decide(args, 'approve', 'requester')).rejects.toThrow(WorkflowUpdateFailedError);
      await decide(args, 'approve');
    });
    expect(result.status).toBe('succeeded');
  });

  it('fails the approval stage as approval_denied and never deploys when the gate is denied', async () => {
    const { acts, log } = activities();
    const args = input();
    const result = await run(acts, args, () => decide(args, 'deny').then(() => undefined));
    expect(result).toMatchObject({
      status: 'failed',
      error: { code: 'approval_denied', details: { stage: 'approval' } },
    });
    expect(log).not.toContain('record:deploy-0');
    expect(acts.markPipelineStage).toHaveBeenCalledWith(
      expect.objectContaining({
        stage: 'approval',
        status: 'failed',
        error: expect.objectContaining({ code: 'approval_denied' }),
      }),
    );
  });

  it('fails as approval_expired when nobody decides before the gate expires', async () => {
    const { acts, log } = activities();
    const args = input({ approvalTimeoutMs: HOUR, retryWindowMs: HOUR });
    const result = await run(acts, args);
    expect(result).toMatchObject({ status: 'failed', error: { code: 'approval_expired' } });
    expect(acts.closeApproval).toHaveBeenCalledWith(expect.objectContaining({ status: 'expired' }));
    expect(log).not.toContain('record:deploy-0');
  });

  it('cancels while the gate waits: the approval is cancelled, the stage and the pipeline are marked cancelled', async () => {
    const { acts, log } = activities();
    const args = input();
    const result = await run(acts, args, async () => {
      await until(args, 'the gate', (s) => s.status === 'pending_approval' && !!s.approvalId);
      await env.client.workflow.getHandle(pipelineWorkflowId(args.pipelineId)).cancel();
      await waitFor(() => acts.markPipeline.mock.calls.some(([c]) => c.status === 'cancelled'), Boolean, {
        what: 'the pipeline marked cancelled',
        ...FAST,
      });
    });
    expect(result).toEqual({ pipelineId: args.pipelineId, status: 'cancelled' });
    expect(acts.closeApproval).toHaveBeenCalledWith(expect.objectContaining({ status: 'cancelled' }));
    expect(acts.markPipelineStage).toHaveBeenCalledWith({
      pipelineId: args.pipelineId,
      stage: 'approval',
      status: 'cancelled',
    });
    expect(log).not.toContain('record:deploy-0');
  });

  it('retries a failed stage from where it failed, repeating no completed stage or step', async () => {
    const { acts, log } = activities();
    acts.architectPipeline.mockRejectedValueOnce(
      ApplicationFailure.create({ type: 'llm_context_length', message: 'too long', nonRetryable: true }),
    );
    const args = input();
    const handle = () => env.client.workflow.getHandle(pipelineWorkflowId(args.pipelineId));
    const result = await run(acts, args, async () => {
      const failed = await until(args, 'the architect stage to fail', (s) => s.status === 'failed');
      expect(failed).toMatchObject({ failedStage: 'architect', stages: { plan: 'succeeded', architect: 'failed' } });
      await handle().executeUpdate(retryPipelineUpdate, { args: [{ requestedBy: 'requester' }] });
      // A retry while nothing failed is refused by the validator.
      await until(args, 'the gate', (s) => s.status === 'pending_approval');
      const refused = await handle()
        .executeUpdate(retryPipelineUpdate, { args: [{ requestedBy: 'requester' }] })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(((refused as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe(PIPELINE_NOT_FAILED);
      await decide(args, 'approve');
    });
    expect(result.status).toBe('succeeded');
    expect(acts.planPipeline).toHaveBeenCalledTimes(1);
    expect(log.filter((e) => e === 'record:jira_epic')).toHaveLength(1);
    expect(acts.architectPipeline.mock.calls.map(([c]) => c.attempt)).toEqual([1, 2]);
    expect(acts.markPipeline).toHaveBeenCalledWith(
      expect.objectContaining({ status: 'failed', error: expect.objectContaining({ code: 'llm_context_length' }) }),
    );
  });

  it('retries a failed tool step alone: the plan and the steps that succeeded are kept', async () => {
    const { acts, log } = activities();
    acts.recordPipelineStep.mockRejectedValueOnce(
      ApplicationFailure.create({ type: 'unknown_capability', message: 'gone', nonRetryable: true }),
    );
    const args = input({ hasDeployTarget: false });
    const result = await run(acts, args, async () => {
      await until(args, 'the plan stage to fail', (s) => s.status === 'failed' && s.failedStage === 'plan');
      await env.client.workflow
        .getHandle(pipelineWorkflowId(args.pipelineId))
        .executeUpdate(retryPipelineUpdate, { args: [{ requestedBy: 'requester' }] });
    });
    expect(result.status).toBe('succeeded');
    expect(acts.planPipeline).toHaveBeenCalledTimes(1);
    expect(acts.recordPipelineStep.mock.calls.filter(([c]) => c.step === 'jira_epic').map(([c]) => c.attempt)).toEqual([
      1, 2,
    ]);
    expect(log.filter((e) => e === 'plan')).toHaveLength(1);
  });

  it('fails a tool step whose invocation failed (its workflow FAILED), and runs it again on retry', async () => {
    const { acts } = activities();
    acts.callCapabilityTool.mockRejectedValueOnce(
      ApplicationFailure.create({ type: 'tool_error', message: 'the tool said no', nonRetryable: true }),
    );
    const args = input({ hasDeployTarget: false });
    const result = await run(acts, args, async () => {
      await until(args, 'the plan stage to fail', (s) => s.status === 'failed' && s.failedStage === 'plan');
      await env.client.workflow
        .getHandle(pipelineWorkflowId(args.pipelineId))
        .executeUpdate(retryPipelineUpdate, { args: [{ requestedBy: 'requester' }] });
    });
    expect(result.status).toBe('succeeded');
    expect(acts.markPipelineStep).toHaveBeenCalledWith(
      expect.objectContaining({ step: 'jira_epic', status: 'failed' }),
    );
    expect(acts.markPipelineStage).toHaveBeenCalledWith(
      expect.objectContaining({
        stage: 'plan',
        status: 'failed',
        error: expect.objectContaining({ code: 'invocation_failed' }),
      }),
    );
  });

  it('ends failed once the retry window passes', async () => {
    const { acts } = activities();
    acts.codePipeline.mockRejectedValue(
      ApplicationFailure.create({ type: 'unsafe_generated_path', message: '..', nonRetryable: true }),
    );
    const result = await run(acts, input({ retryWindowMs: HOUR }));
    expect(result).toMatchObject({
      status: 'failed',
      error: { code: 'unsafe_generated_path', details: { stage: 'code' } },
    });
  });

  it('skips steps whose capability the agent lacks, and the gate and deploy without a deploy target', async () => {
    const { acts, log } = activities({ skip: ['jira_epic', 'notify'] });
    const args = input({ hasDeployTarget: false });
    const result = await run(acts, args);
    expect(result.status).toBe('succeeded');
    expect(log).toEqual([
      'plan',
      'record:jira_epic',
      'record:confluence_page',
      'tool',
      'record:slack_plan',
      'tool',
      'architect',
      'code',
      'record:notify',
    ]);
    const ended = acts.markPipelineStage.mock.calls.map(([c]) => c).filter((c) => c.status !== 'running');
    expect(ended.map((c) => `${c.stage}:${c.status}`)).toEqual([
      'plan:succeeded',
      'architect:succeeded',
      'code:succeeded',
      'approval:skipped',
      'deploy:skipped',
      'notify:skipped',
    ]);
    expect(acts.openApproval).not.toHaveBeenCalled();
  });
});
