import { Context } from '@temporalio/activity';
import type { HostingEnd, SandboxEnd, SandboxStatus } from '../contracts/sandbox.contract.js';
import { SandboxRepository } from '../core/db/sandbox.repository.js';
import type { ActivityDeps } from './index.js';

/** Activities of sandboxWorkflow: thin over core/sandboxes/sandbox-host.ts. */
export function createSandboxActivities(deps: ActivityDeps) {
  const sandboxes = new SandboxRepository(deps.db);
  const host = () => {
    if (!deps.sandboxHost) throw new Error('this worker was started without sandbox support');
    return deps.sandboxHost;
  };

  return {
    async markSandbox(input: { sandboxId: string; status: SandboxStatus; approvalId?: string }): Promise<void> {
      await sandboxes.update(input.sandboxId, {
        status: input.status,
        ...(input.approvalId ? { approval_id: input.approvalId } : {}),
      });
    },

    async provisionSandbox({ sandboxId }: { sandboxId: string }): Promise<void> {
      await host().provision(sandboxId);
    },

    /** Holds the sandbox's processes until it is cancelled, goes idle or its process exits; heartbeats meanwhile. */
    async hostSandbox({ sandboxId, idleMs }: { sandboxId: string; idleMs: number }): Promise<HostingEnd> {
      const ctx = Context.current();
      return host().host(sandboxId, idleMs, { heartbeat: () => ctx.heartbeat(), signal: ctx.cancellationSignal });
    },

    async resetSandbox({ sandboxId }: { sandboxId: string }): Promise<void> {
      await host().reset(sandboxId);
    },

    async teardownSandbox(input: { sandboxId: string; status: SandboxEnd['status']; reason: string }): Promise<void> {
      await host().teardown(input.sandboxId, { status: input.status, reason: input.reason } as SandboxEnd);
    },
  };
}
