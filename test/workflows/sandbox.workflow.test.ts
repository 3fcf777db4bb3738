// sandboxWorkflow on the time-skipping server with mocked activities: every way a sandbox ends (TTL,
// idle, its process exiting, a stop while provisioning or running, a lost host, a connected sandbox's
// approval expiring) and that teardown runs exactly once, with the end's status and reason, whatever it was.
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  resetSandboxUpdate,
  sandboxStateQuery,
  stopSandboxSignal,
  type SandboxInput,
} from '../../contracts/sandbox.contract.js';
import type { sandboxWorkflow } from '../../workflows/sandbox.workflow.js';
import {
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

const input = (over: Partial<SandboxInput> = {}): SandboxInput => ({
  sandboxId: randomUUID(),
  orgId: `org-${randomUUID()}`,
  agentId: randomUUID(),
  mode: 'mock',
  requestedBy: 'requester',
  ttlMs: 60 * 60 * 1000,
  idleMs: 15 * 60 * 1000,
  approvalTimeoutMs: 24 * 3600 * 1000,
  ...over,
});

/** Hosting that runs until it is cancelled, heartbeating as the real one does. */
async function hostUntilCancelled(): Promise<never> {
  const ctx = Context.current();
  for (;;) {
    ctx.heartbeat();
    await new Promise((r) => setTimeout(r, 50));
    ctx.cancellationSignal.throwIfAborted();
  }
}

function activities() {
  return {
    ...approvalActivities(signer.key),
    markSandbox: vi.fn<Activities['markSandbox']>(async () => undefined),
    provisionSandbox: vi.fn<Activities['provisionSandbox']>(async () => undefined),
    hostSandbox: vi.fn<Activities['hostSandbox']>(hostUntilCancelled),
    resetSandbox: vi.fn<Activities['resetSandbox']>(async () => undefined),
    teardownSandbox: vi.fn<Activities['teardownSandbox']>(async () => undefined),
  };
}

type Acts = ReturnType<typeof activities>;

async function run(acts: Acts, args: SandboxInput, during?: (id: string) => Promise<void>) {
  return withWorker(env, bundle, acts, async (taskQueue) => {
    const handle = await env.client.workflow.start<typeof sandboxWorkflow>('sandboxWorkflow', {
      taskQueue,
      workflowId: `sandbox-${args.sandboxId}`,
      args: [args],
    });
    if (during) await during(handle.workflowId);
    return handle.result();
  });
}

const running = (workflowId: string) =>
  waitFor(
    () => env.client.workflow.getHandle(workflowId).query(sandboxStateQuery),
    (s) => s.status === 'running',
    { what: 'the sandbox to run', ...FAST },
  );

describe.skipIf(!server)('sandboxWorkflow (time-skipping, mocked activities)', () => {
  beforeAll(async () => {
    [env, bundle, signer] = await Promise.all([startTimeSkipping(server!), workflowBundle(), decisionSigner()]);
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('expires at its TTL: the hosting is cancelled, then torn down as expired', async () => {
    const acts = activities();
    const args = input({ ttlMs: 1500 });
    expect(await run(acts, args)).toEqual({ status: 'expired', reason: 'ttl' });
    expect(acts.provisionSandbox).toHaveBeenCalledOnce();
    expect(acts.hostSandbox).toHaveBeenCalledExactlyOnceWith({ sandboxId: args.sandboxId, idleMs: args.idleMs });
    expect(acts.teardownSandbox).toHaveBeenCalledExactlyOnceWith({
      sandboxId: args.sandboxId,
      status: 'expired',
      reason: 'ttl',
    });
  });

  it('stops an idle sandbox, and fails one whose process exited, with its detail', async () => {
    const idle = activities();
    idle.hostSandbox.mockResolvedValue({ reason: 'idle' });
    expect(await run(idle, input())).toEqual({ status: 'stopped', reason: 'idle' });
    const exited = activities();
    exited.hostSandbox.mockResolvedValue({ reason: 'exited', detail: 'code 1: out of memory' });
    const end = await run(exited, input());
    expect(end).toEqual({ status: 'failed', reason: "the sandbox's process exited: code 1: out of memory" });
    expect(exited.teardownSandbox).toHaveBeenCalledOnce();
  });

  it('stops a running sandbox on the stop signal, and resets it on the update while it runs', async () => {
    const acts = activities();
    const args = input();
    const end = await run(acts, args, async (workflowId) => {
      await running(workflowId);
      const handle = env.client.workflow.getHandle(workflowId);
      expect(await handle.executeUpdate(resetSandboxUpdate)).toEqual({ status: 'running' });
      await handle.signal(stopSandboxSignal);
    });
    expect(end).toEqual({ status: 'stopped', reason: 'deleted' });
    expect(acts.resetSandbox).toHaveBeenCalledExactlyOnceWith({ sandboxId: args.sandboxId });
    expect(acts.teardownSandbox).toHaveBeenCalledExactlyOnceWith({
      sandboxId: args.sandboxId,
      status: 'stopped',
      reason: 'deleted',
    });
  });

  it('refuses a reset while it is not running (the validator: nothing enters history)', async () => {
    const acts = activities();
    let release!: () => void;
    acts.provisionSandbox.mockImplementation(() => new Promise<void>((r) => (release = r)));
    await run(acts, input(), async (workflowId) => {
      const handle = env.client.workflow.getHandle(workflowId);
      await waitFor(
        async () => acts.provisionSandbox.mock.calls.length,
        (n) => n === 1,
        { what: 'provisioning', ...FAST },
      );
      await expect(handle.executeUpdate(resetSandboxUpdate)).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      await handle.signal(stopSandboxSignal);
      release();
    });
    expect(acts.resetSandbox).not.toHaveBeenCalled();
  });

  it('stopped while provisioning: never hosted, torn down', async () => {
    const acts = activities();
    let release!: () => void;
    acts.provisionSandbox.mockImplementation(() => new Promise<void>((r) => (release = r)));
    const end = await run(acts, input(), async (workflowId) => {
      await waitFor(
        async () => acts.provisionSandbox.mock.calls.length,
        (n) => n === 1,
        { what: 'provisioning', ...FAST },
      );
      await env.client.workflow.getHandle(workflowId).signal(stopSandboxSignal);
      release();
    });
    expect(end).toEqual({ status: 'stopped', reason: 'deleted' });
    expect(acts.hostSandbox).not.toHaveBeenCalled();
    expect(acts.teardownSandbox).toHaveBeenCalledOnce();
  });

  it('fails with the reason when hosting fails, and when provisioning cannot succeed; teardown runs anyway', async () => {
    const host = activities();
    host.hostSandbox.mockRejectedValue(
      ApplicationFailure.create({
        type: 'service_start_failed',
        message: 'prism exited: bad spec',
        nonRetryable: true,
      }),
    );
    expect(await run(host, input())).toEqual({ status: 'failed', reason: 'prism exited: bad spec' });
    expect(host.teardownSandbox).toHaveBeenCalledOnce();
    const provision = activities();
    provision.provisionSandbox.mockRejectedValue(
      ApplicationFailure.create({ type: 'not_found', message: 'sandbox target gone not found', nonRetryable: true }),
    );
    expect(await run(provision, input())).toEqual({ status: 'failed', reason: 'sandbox target gone not found' });
    expect(provision.hostSandbox).not.toHaveBeenCalled();
    expect(provision.teardownSandbox).toHaveBeenCalledOnce();
  });

  it('a connected sandbox waits for its approval; one nobody approves stops as approval_expired, never provisioned', async () => {
    const acts = activities();
    const args = input({ mode: 'connected', approvalTimeoutMs: 2_000 });
    expect(await run(acts, args)).toEqual({ status: 'stopped', reason: 'approval_expired' });
    expect(acts.openApproval).toHaveBeenCalledExactlyOnceWith(
      expect.objectContaining({ subjectType: 'sandbox_connected', subjectId: args.sandboxId }),
    );
    // The approval's opening records its id on the sandbox (one transaction with the approval row): the
    // workflow itself no longer does, so nobody reads an id whose approval is not written yet.
    expect(acts.markSandbox).not.toHaveBeenCalledWith(expect.objectContaining({ status: 'pending_approval' }));
    expect(acts.provisionSandbox).not.toHaveBeenCalled();
    expect(acts.teardownSandbox).toHaveBeenCalledOnce();
  });
});
