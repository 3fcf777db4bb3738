import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  TimeoutFailure,
  uuid4,
} from '@temporalio/workflow';
import { approvalWorkflowId } from '../contracts/approval.contract.js';
import {
  resetSandboxUpdate,
  sandboxStateQuery,
  stopSandboxSignal,
  type SandboxEnd,
  type SandboxState,
  type SandboxWorkflow,
} from '../contracts/sandbox.contract.js';
import { dbSteps, type Activities } from './activity-proxies.js';
import { approvalWorkflow } from './approval.workflow.js';

const db = dbSteps;
// Provisioning (a database, a spec file) and teardown: retried, each step idempotent.
const steps = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
});
// The hosting activity holds the sandbox's processes for its whole life on one worker. It is never retried:
// a worker lost mid-hosting took the processes with it (they die with their parent), so the sandbox fails
// and is torn down rather than silently coming back empty on another host. Cancelling it does not wait for
// the activity to hear of it (a heartbeat away): teardown stops the process itself.
const hosting = proxyActivities<Activities>({
  startToCloseTimeout: '31 days',
  heartbeatTimeout: '10 seconds',
  retry: { maximumAttempts: 1 },
});
const CONNECTED_APPROVER_ROLES = ['approver', 'admin'];
export const SANDBOX_APPROVAL_OPENS_FIRST_PATCH = 'sandbox-approval-opens-first';

/**
 * One sandbox, from request to teardown. Connected mode first waits for an approval
 * (`sandbox_connected`, the approval workflow's four-eyes rules). Then provisioning, then the hosting
 * activity runs its processes until the sandbox is deleted (stop signal), expires (its TTL, a timer here),
 * goes idle or its process exits (the activity returns). Teardown runs in a non-cancellable scope whatever
 * ended it, including a failure or a lost worker.
 */
export const sandboxWorkflow: SandboxWorkflow = async (input) => {
  const state: SandboxState = {
    status: input.mode === 'connected' ? 'pending_approval' : 'provisioning',
    reason: null,
  };
  let stopRequested = false;
  let host: CancellationScope | undefined;
  setHandler(sandboxStateQuery, () => state);
  setHandler(stopSandboxSignal, () => {
    stopRequested = true;
    host?.cancel();
  });
  setHandler(
    resetSandboxUpdate,
    async () => {
      await steps.resetSandbox({ sandboxId: input.sandboxId });
      return { status: state.status };
    },
    {
      validator: () => {
        if (state.status !== 'running') throw new Error(`the sandbox is ${state.status}, not running`);
      },
    },
  );

  let end: SandboxEnd = { status: 'stopped', reason: 'deleted' };
  try {
    if (input.mode === 'connected') {
      const approvalId = uuid4();
      // REQUEST_CANCEL: a sandbox deleted while it waits takes its pending approval with it.
      const approval = await startChild(approvalWorkflow, {
        workflowId: approvalWorkflowId(approvalId),
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        args: [
          {
            approvalId,
            orgId: input.orgId,
            subjectType: 'sandbox_connected',
            subjectId: input.sandboxId,
            requestedBy: input.requestedBy,
            approverRoles: CONNECTED_APPROVER_ROLES,
            context: { sandboxId: input.sandboxId, agentId: input.agentId, mode: input.mode },
            expiresInMs: input.approvalTimeoutMs,
          },
        ],
      });
      // The approval's own opening records its id on the sandbox, in the transaction that writes the approval
      // row. Histories from before wrote it here, once the child had started: the id could be read (and
      // approved) before the row existed, a 404.
      if (!patched(SANDBOX_APPROVAL_OPENS_FIRST_PATCH))
        await db.markSandbox({ sandboxId: input.sandboxId, status: 'pending_approval', approvalId });
      const decided = await Promise.race([approval.result(), condition(() => stopRequested).then(() => undefined)]);
      if (!decided) throw new StopRequested();
      if (decided.status === 'denied') return (end = { status: 'stopped', reason: 'approval_denied' });
      if (decided.status !== 'approved') return (end = { status: 'stopped', reason: 'approval_expired' });
    }
    if (stopRequested) throw new StopRequested();
    state.status = 'provisioning';
    await db.markSandbox({ sandboxId: input.sandboxId, status: 'provisioning' });
    await steps.provisionSandbox({ sandboxId: input.sandboxId });
    if (stopRequested) throw new StopRequested();

    host = new CancellationScope();
    const hosted = host.run(() => hosting.hostSandbox({ sandboxId: input.sandboxId, idleMs: input.idleMs }));
    state.status = 'running';
    const ttl = sleep(input.ttlMs).then(() => 'ttl' as const);
    const first = await Promise.race([hosted, ttl]);
    if (first === 'ttl') {
      end = { status: 'expired', reason: 'ttl' };
      host.cancel();
      await hosted.catch(() => undefined);
    } else {
      end =
        first.reason === 'idle'
          ? { status: 'stopped', reason: 'idle' }
          : { status: 'failed', reason: `the sandbox's process exited${first.detail ? `: ${first.detail}` : ''}` };
    }
  } catch (err) {
    // A stop (DELETE) or a cancelled workflow ends as deleted; anything else is a failure with its reason.
    if (err instanceof StopRequested || isCancellation(err)) end = { status: 'stopped', reason: 'deleted' };
    else end = { status: 'failed', reason: failureReason(err) };
  } finally {
    state.status = 'stopping';
    await CancellationScope.nonCancellable(async () => {
      await steps.teardownSandbox({ sandboxId: input.sandboxId, status: end.status, reason: end.reason });
    });
    state.status = end.status;
    state.reason = end.reason;
  }
  return end;
};

class StopRequested extends Error {}

function failureReason(err: unknown): string {
  if (err instanceof ActivityFailure) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure) return cause.message;
    if (cause instanceof TimeoutFailure && cause.timeoutType === 'HEARTBEAT')
      return 'the worker hosting the sandbox was lost';
    return cause?.message ?? err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
