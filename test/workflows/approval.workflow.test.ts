// approvalWorkflow on the time-skipping server with mocked activities: expiry, decisions through the
// token-checking validator, cancellation and a failing webhook, in seconds.
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  approvalStateQuery,
  approvalWorkflowId,
  decideUpdate,
  type ApprovalInput,
} from '../../contracts/approval.contract.js';
import type { approvalWorkflow } from '../../workflows/approval.workflow.js';
import {
  activitiesCompleted,
  approvalActivities,
  decisionSigner,
  startTimeSkipping,
  testServerPath,
  withWorker,
  FAST,
  workflowBundle,
  type TokenClaims,
} from '../helpers/time-skipping.js';
import { waitFor } from '../helpers/wait.js';

const server = testServerPath();
let env: TestWorkflowEnvironment;
let bundle: { code: string };
let signer: Awaited<ReturnType<typeof decisionSigner>>;

const DAY_MS = 24 * 60 * 60 * 1000;
const input = (over: Partial<ApprovalInput> = {}): ApprovalInput => ({
  approvalId: randomUUID(),
  orgId: `org-${randomUUID()}`,
  subjectType: 'invocation',
  subjectId: randomUUID(),
  requestedBy: 'requester',
  approverRoles: ['approver', 'admin'],
  context: {},
  expiresInMs: DAY_MS,
  ...over,
});

/** Starts the workflow and waits until it holds the signing keys (openApproval answered) and, unless told not to, the webhook went out. */
async function start(
  taskQueue: string,
  args: ApprovalInput,
  { notified = true } = {},
): Promise<WorkflowHandle<typeof approvalWorkflow>> {
  const handle = await env.client.workflow.start<typeof approvalWorkflow>('approvalWorkflow', {
    taskQueue,
    workflowId: approvalWorkflowId(args.approvalId),
    args: [args],
  });
  await waitFor(
    () => handle.query(approvalStateQuery),
    (state) => state.signingKids?.includes(signer.key.kid) === true,
    { what: 'the approval to hold the signing key', ...FAST },
  );
  if (notified) await activitiesCompleted(handle);
  return handle;
}

/** A token for this approval by an approver, signed at the server's time; `over` bends one claim. */
async function token(args: ApprovalInput, over: Partial<TokenClaims> = {}): Promise<string> {
  return signer.sign({
    approvalId: args.approvalId,
    orgId: args.orgId,
    userId: 'approver-1',
    role: 'approver',
    decision: 'approve',
    nowMs: await env.currentTimeMs(),
    ...over,
  });
}

/** The ApplicationFailure type a rejected update carries. */
async function rejection(promise: Promise<unknown>): Promise<string | undefined> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return (cause as ApplicationFailure).type ?? undefined;
}

describe.skipIf(!server)('approvalWorkflow (time-skipping, mocked activities)', () => {
  beforeAll(async () => {
    [env, bundle, signer] = await Promise.all([startTimeSkipping(server!), workflowBundle(), decisionSigner()]);
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('expires an approval nobody decided and records it expired', async () => {
    const acts = approvalActivities(signer.key);
    const args = input({ expiresInMs: DAY_MS });
    const t0 = Date.now();
    const result = await withWorker(env, bundle, acts, async (taskQueue) => (await start(taskQueue, args)).result());
    expect(result).toEqual({ approvalId: args.approvalId, status: 'expired', decidedBy: null, comment: null });
    expect(acts.closeApproval).toHaveBeenCalledTimes(1);
    expect(acts.closeApproval).toHaveBeenCalledWith({
      approvalId: args.approvalId,
      status: 'expired',
      decidedBy: null,
      comment: null,
    });
    expect(acts.recordDecision).not.toHaveBeenCalled();
    // A day of workflow time, skipped: the test takes seconds.
    expect(Date.now() - t0).toBeLessThan(20_000);
  });

  it('approves on a valid decision token and records the decision with that token', async () => {
    const acts = approvalActivities(signer.key);
    const args = input();
    const tok = await token(args);
    const { state, result } = await withWorker(env, bundle, acts, async (taskQueue) => {
      const handle = await start(taskQueue, args);
      const state = await handle.executeUpdate(decideUpdate, {
        args: [{ decision: 'approve', token: tok, comment: 'ok' }],
      });
      return { state, result: await handle.result() };
    });
    expect(state).toMatchObject({ status: 'approved', decidedBy: 'approver-1', comment: 'ok', channel: 'api' });
    expect(acts.recordDecision).toHaveBeenCalledTimes(1);
    expect(acts.recordDecision).toHaveBeenCalledWith({
      approvalId: args.approvalId,
      orgId: args.orgId,
      requestedBy: 'requester',
      approverRoles: ['approver', 'admin'],
      token: tok,
      comment: 'ok',
    });
    expect(result).toEqual({ approvalId: args.approvalId, status: 'approved', decidedBy: 'approver-1', comment: 'ok' });
    // recordDecision closed the row itself: closing it again would be a second write.
    expect(acts.closeApproval).not.toHaveBeenCalled();
  });

  it('rejects decisions in the validator (no token, self-approval, wrong role, another approval) without history or a record', async () => {
    const acts = approvalActivities(signer.key);
    const args = input();
    const other = input();
    await withWorker(env, bundle, acts, async (taskQueue) => {
      const handle = await start(taskQueue, args);
      const decide = async (tok: string | undefined) =>
        handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', ...(tok ? { token: tok } : {}) }] });
      expect(await rejection(decide(undefined))).toBe('decision_token_required');
      expect(await rejection(decide(await token(args, { userId: 'requester' })))).toBe('self_approval');
      expect(await rejection(decide(await token(args, { role: 'viewer' })))).toBe('approver_role_forbidden');
      expect(await rejection(decide(await token(other)))).toBe('decision_token_mismatch');
      expect(await rejection(decide(await token(args, { decision: 'deny' })))).toBe('decision_token_mismatch');
      expect((await handle.query(approvalStateQuery)).status).toBe('pending');
      const history = await handle.fetchHistory();
      const updateEvents = (history.events ?? []).filter(
        (e) => e.workflowExecutionUpdateAcceptedEventAttributes || e.workflowExecutionUpdateCompletedEventAttributes,
      );
      expect(updateEvents).toEqual([]);
      await handle.terminate('test done');
    });
    expect(acts.recordDecision).not.toHaveBeenCalled();
  });

  it('records a cancelled approval as cancelled', async () => {
    const acts = approvalActivities(signer.key);
    const args = input();
    const result = await withWorker(env, bundle, acts, async (taskQueue) => {
      const handle = await start(taskQueue, args);
      await handle.cancel();
      // Closed before result() lets time skip, so the 24 h timer cannot race the cancel request.
      await waitFor(
        () => acts.closeApproval.mock.calls.length,
        (n) => n > 0,
        { what: 'acts.closeApproval called', ...FAST },
      );
      return handle.result();
    });
    expect(result.status).toBe('cancelled');
    expect(acts.closeApproval).toHaveBeenCalledTimes(1);
    expect(acts.closeApproval).toHaveBeenCalledWith({
      approvalId: args.approvalId,
      status: 'cancelled',
      decidedBy: null,
      comment: null,
    });
  });

  it('decides at once while the approvers webhook keeps failing, and still completes approved', async () => {
    const acts = approvalActivities(signer.key);
    acts.notifyApprovers.mockImplementation(async () => {
      throw new Error('webhook answered 503');
    });
    const args = input();
    const { state, result, callsAtDecision } = await withWorker(env, bundle, acts, async (taskQueue) => {
      const handle = await start(taskQueue, args, { notified: false });
      await waitFor(
        () => acts.notifyApprovers.mock.calls.length,
        (n) => n >= 1,
        { what: 'acts.notifyApprovers called 1 times', ...FAST },
      );
      const t0 = Date.now();
      const state = await handle.executeUpdate(decideUpdate, {
        args: [{ decision: 'approve', token: await token(args) }],
      });
      expect(Date.now() - t0).toBeLessThan(5_000);
      const callsAtDecision = acts.notifyApprovers.mock.calls.length;
      return { state, callsAtDecision, result: await handle.result() };
    });
    expect(state.status).toBe('approved');
    // The decision came in while the webhook was still being retried (12 attempts, minutes apart).
    expect(callsAtDecision).toBeLessThan(12);
    expect(acts.notifyApprovers).toHaveBeenCalledTimes(12);
    expect(result).toMatchObject({ status: 'approved', decidedBy: 'approver-1' });
  });
});
