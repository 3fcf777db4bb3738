// invokeCapabilityWorkflow on the time-skipping server with mocked activities: policy, the MCP call's
// retry classification, and the child approval (expiry, approval, cancellation), in seconds.
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { approvalWorkflowId, decideUpdate } from '../../contracts/approval.contract.js';
import type { approvalWorkflow } from '../../workflows/approval.workflow.js';
import {
  DEFAULT_APPROVAL_TIMEOUT_MS,
  invocationStateQuery,
  type InvokeInput,
  type PolicyDecision,
} from '../../contracts/invocation.contract.js';
import type { invokeCapabilityWorkflow } from '../../workflows/invoke-capability.workflow.js';
import {
  activitiesCompleted,
  approvalActivities,
  decisionSigner,
  startTimeSkipping,
  testServerPath,
  withWorker,
  FAST,
  workflowBundle,
  type Activities,
} from '../helpers/time-skipping.js';
import { waitFor } from '../helpers/wait.js';

const server = testServerPath();
let env: TestWorkflowEnvironment;
let bundle: { code: string };
let signer: Awaited<ReturnType<typeof decisionSigner>>;

const input = (): InvokeInput => ({
  invocationId: randomUUID(),
  orgId: `org-${randomUUID()}`,
  agentId: randomUUID(),
  capability: 'files.read',
  requestedBy: 'requester',
});

/** Mocks of the invocation's own activities plus the child approval's; the policy answers `decision`. */
function activities(decision: Partial<PolicyDecision> = {}, overBudget = false) {
  return {
    checkInvocationBudget: vi.fn<Activities['checkInvocationBudget']>(async () => ({
      exceeded: overBudget,
      budgetMinor: overBudget ? 100 : null,
      spentMicros: overBudget ? 2_000_000 : 0,
    })),
    ...approvalActivities(signer.key),
    decideInvocation: vi.fn<Activities['decideInvocation']>(async () => ({
      allow: true,
      requireApproval: false,
      approverRoles: ['approver'],
      reasons: [],
      policyVersion: 'test',
      ...decision,
    })),
    markInvocation: vi.fn<Activities['markInvocation']>(async () => undefined),
    finishInvocation: vi.fn<Activities['finishInvocation']>(async () => undefined),
    callCapabilityTool: vi.fn<Activities['callCapabilityTool']>(async () => undefined),
  };
}

/** Runs one invocation to its end on a worker with `acts`; `during` acts on it while it runs. */
async function run(acts: Partial<Activities>, args: InvokeInput, during?: (taskQueue: string) => Promise<void>) {
  return withWorker(env, bundle, acts, async (taskQueue) => {
    const handle = await env.client.workflow.start<typeof invokeCapabilityWorkflow>('invokeCapabilityWorkflow', {
      taskQueue,
      workflowId: `invocation-${args.invocationId}`,
      args: [args],
    });
    if (during) await during(taskQueue);
    return handle.result();
  });
}

/** Waits until the invocation waits on its approval, whose webhook went out; answers the approval's id. */
async function approvalOpened(args: InvokeInput): Promise<string> {
  const { approvalId } = await waitFor(
    () => env.client.workflow.getHandle(`invocation-${args.invocationId}`).query(invocationStateQuery),
    (state) => state.status === 'pending_approval' && state.approvalId !== null,
    {
      what: 'the invocation to wait on its approval',
      ...FAST,
    },
  );
  await activitiesCompleted(env.client.workflow.getHandle(approvalWorkflowId(approvalId!)));
  return approvalId!;
}

/** Approves the invocation's approval with a decision token of a user with `role`. */
async function approveAs(args: InvokeInput, approvalId: string, role: 'approver' | 'admin') {
  const approval = env.client.workflow.getHandle<typeof approvalWorkflow>(approvalWorkflowId(approvalId));
  const token = await signer.sign({
    approvalId,
    orgId: args.orgId,
    userId: `${role}-1`,
    role,
    decision: 'approve',
    nowMs: await env.currentTimeMs(),
  });
  await approval.executeUpdate(decideUpdate, { args: [{ decision: 'approve', token }] });
}

describe.skipIf(!server)('invokeCapabilityWorkflow (time-skipping, mocked activities)', () => {
  beforeAll(async () => {
    [env, bundle, signer] = await Promise.all([startTimeSkipping(server!), workflowBundle(), decisionSigner()]);
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('finishes a policy-denied invocation as denied (policy_denied) without calling the tool', async () => {
    const acts = activities({ allow: false, reasons: ['agent may not use files.read'] });
    const args = input();
    expect(await run(acts, args)).toEqual({ invocationId: args.invocationId, status: 'denied' });
    expect(acts.finishInvocation).toHaveBeenCalledExactlyOnceWith({
      invocationId: args.invocationId,
      status: 'denied',
      error: { code: 'policy_denied', message: 'agent may not use files.read' },
    });
    expect(acts.callCapabilityTool).not.toHaveBeenCalled();
  });

  it('calls the tool once for an allowed invocation and succeeds', async () => {
    const acts = activities();
    const args = input();
    expect(await run(acts, args)).toEqual({ invocationId: args.invocationId, status: 'succeeded' });
    expect(acts.callCapabilityTool).toHaveBeenCalledExactlyOnceWith({ invocationId: args.invocationId });
    // The tool activity records success itself; no approval was asked for.
    expect(acts.finishInvocation).not.toHaveBeenCalled();
    expect(acts.openApproval).not.toHaveBeenCalled();
  });

  it('retries a transient tool failure (plain Error) and succeeds on the third attempt', async () => {
    const acts = activities();
    const attempts: number[] = [];
    acts.callCapabilityTool.mockImplementation(async () => {
      attempts.push(Context.current().info.attempt);
      if (attempts.length < 3) throw new Error('connection reset');
    });
    expect((await run(acts, input())).status).toBe('succeeded');
    expect(attempts).toEqual([1, 2, 3]);
    expect(acts.finishInvocation).not.toHaveBeenCalled();
  });

  it('fails at once on a non-retryable tool error, keeping its type as the code', async () => {
    const acts = activities();
    acts.callCapabilityTool.mockRejectedValue(
      ApplicationFailure.create({ type: 'tool_error', message: 'the tool said no', nonRetryable: true }),
    );
    const args = input();
    // FAILED_WORKFLOW_PATCH: the workflow fails, its failure typed with the code, after the row was recorded.
    const failure = await run(acts, args).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toMatchObject({
      type: 'tool_error',
      message: 'the tool said no',
      nonRetryable: true,
      details: [{ invocationId: args.invocationId, status: 'failed', details: {} }],
    });
    expect(acts.callCapabilityTool).toHaveBeenCalledTimes(1);
    expect(acts.finishInvocation).toHaveBeenCalledExactlyOnceWith({
      invocationId: args.invocationId,
      status: 'failed',
      error: { code: 'tool_error', message: 'the tool said no', details: {} },
    });
  });

  it('retries a call a server limit held back (retryable, with nextRetryDelay) instead of failing it', async () => {
    const acts = activities();
    const attempts: number[] = [];
    acts.callCapabilityTool.mockImplementation(async () => {
      attempts.push(Context.current().info.attempt);
      if (attempts.length === 1) {
        throw ApplicationFailure.create({
          type: 'rate_limited',
          message: 'over the rate limit',
          category: ApplicationFailureCategory.BENIGN,
          nextRetryDelay: '3 minutes',
        });
      }
    });
    const t0 = Date.now();
    expect((await run(acts, input())).status).toBe('succeeded');
    expect(attempts).toEqual([1, 2]);
    expect(acts.finishInvocation).not.toHaveBeenCalled();
    // How long the retry waited is not asserted: the time-skipping server (1.40.0) schedules it by the
    // retry policy's backoff and ignores nextRetryDelay (the dev server honours it).
    expect(Date.now() - t0).toBeLessThan(20_000);
  });

  it('expires an invocation whose approval nobody decided (approval_expired), without calling the tool', async () => {
    const acts = activities({ requireApproval: true });
    const args = input();
    expect((await run(acts, args, async () => void (await approvalOpened(args)))).status).toBe('expired');
    // APPROVAL_WORKFLOW_FIRST_PATCH: the child writes the row, the parent does not.
    expect(acts.openApproval).toHaveBeenCalledTimes(1);
    expect(acts.openApproval.mock.calls[0]![0]).toMatchObject({
      subjectType: 'invocation',
      subjectId: args.invocationId,
      invocationId: args.invocationId,
      expiresInMs: DEFAULT_APPROVAL_TIMEOUT_MS,
    });
    expect(acts.closeApproval).toHaveBeenCalledWith(expect.objectContaining({ status: 'expired' }));
    expect(acts.finishInvocation).toHaveBeenCalledExactlyOnceWith({
      invocationId: args.invocationId,
      status: 'expired',
      error: { code: 'approval_expired', message: expect.any(String) },
    });
    expect(acts.callCapabilityTool).not.toHaveBeenCalled();
  });

  it('calls the tool once its approval is approved', async () => {
    const acts = activities({ requireApproval: true });
    const args = input();
    const result = await run(acts, args, async () => {
      await approveAs(args, await approvalOpened(args), 'approver');
    });
    expect(result.status).toBe('succeeded');
    expect(acts.markInvocation).toHaveBeenCalledExactlyOnceWith({ invocationId: args.invocationId, status: 'running' });
    expect(acts.callCapabilityTool).toHaveBeenCalledTimes(1);
  });

  it('past the monthly budget, waits for an admin budget_override approval, then calls the tool', async () => {
    const acts = activities({}, true);
    const args = input();
    const result = await run(acts, args, async () => {
      await approveAs(args, await approvalOpened(args), 'admin');
    });
    expect(result.status).toBe('succeeded');
    expect(acts.openApproval).toHaveBeenCalledWith(
      expect.objectContaining({ subjectType: 'budget_override', approverRoles: ['admin'] }),
    );
    expect(acts.callCapabilityTool).toHaveBeenCalledTimes(1);
  });

  it('cancels an invocation pending approval and its approval with it', async () => {
    const acts = activities({ requireApproval: true });
    const args = input();
    let approvalId = '';
    const result = await run(acts, args, async () => {
      approvalId = await approvalOpened(args);
      await env.client.workflow.getHandle(`invocation-${args.invocationId}`).cancel();
      // Let the cancel reach the child before result() lets time skip: else the child's 24 h timer can
      // fire in the same task as the cancel request and the approval ends expired.
      await waitFor(
        () => acts.finishInvocation.mock.calls.length,
        (n) => n > 0,
        { what: 'acts.finishInvocation called', ...FAST },
      );
    });
    expect(result.status).toBe('cancelled');
    expect(acts.finishInvocation).toHaveBeenCalledExactlyOnceWith({
      invocationId: args.invocationId,
      status: 'cancelled',
    });
    expect(
      await env.client.workflow.getHandle<typeof approvalWorkflow>(approvalWorkflowId(approvalId)).result(),
    ).toMatchObject({ status: 'cancelled' });
    expect(acts.closeApproval).toHaveBeenCalledExactlyOnceWith({
      approvalId,
      status: 'cancelled',
      decidedBy: null,
      comment: null,
    });
    expect(acts.callCapabilityTool).not.toHaveBeenCalled();
  });
});
