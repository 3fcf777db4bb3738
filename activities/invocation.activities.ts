import { Context } from '@temporalio/activity';
import type { InvocationError, InvocationStatus, PolicyDecision } from '../contracts/invocation.contract.js';
import { NO_BUDGET, type BudgetVerdict } from '../core/billing/budget-guard.js';
import { InvocationRecords } from '../core/invocations/invocation-records.js';
import { ToolCalls } from '../core/invocations/tool-call.js';
import { toApplicationFailure } from './application-failure.js';
import type { ActivityDeps } from './index.js';

// Well inside the MCP call activity's heartbeatTimeout (workflows/invoke-capability.workflow.ts).
const HEARTBEAT_MS = 5_000;

/** Activities of invokeCapabilityWorkflow: policy decision, status transitions and the MCP tool call. */
export function createInvocationActivities(deps: ActivityDeps) {
  const records = new InvocationRecords(deps.db, deps.policy);
  const toolCalls = new ToolCalls({ ...deps, records });

  return {
    /**
     * Evaluates collexa.authz.invoke for the invocation and records the decision with the policy version.
     * With `budget` (runs from LEAN_FIRST_TASK_PATCH on) an allowed call's answer also carries the org's
     * budget verdict, read from the same context: one local activity and one query fewer than asking
     * checkInvocationBudget after it.
     */
    async decideInvocation({
      invocationId,
      budget,
    }: {
      invocationId: string;
      budget?: boolean;
    }): Promise<PolicyDecision & { budget?: BudgetVerdict }> {
      const { decision, org } = await records.decide(invocationId);
      if (!budget || !decision.allow) return decision;
      return { ...decision, budget: deps.budget && org ? await deps.budget.forOrg(org) : NO_BUDGET };
    },

    async markInvocation(input: {
      invocationId: string;
      status: InvocationStatus;
      approvalId?: string;
    }): Promise<void> {
      await records.mark(input.invocationId, input.status, input.approvalId);
    },

    /** Records a terminal state other than success (success is recorded by callCapabilityTool). */
    async finishInvocation(input: {
      invocationId: string;
      status: InvocationStatus;
      error?: InvocationError;
    }): Promise<void> {
      await records.end(input.invocationId, input.status, input.error);
    },

    /** Calls the capability's MCP tool (core/invocations/tool-call.ts); a failed outcome becomes the Temporal failure it means. */
    async callCapabilityTool({ invocationId }: { invocationId: string }): Promise<void> {
      const ctx = Context.current();
      // Liveness for Temporal (heartbeatTimeout) while waiting for a slot or a long call; also delivers cancellation.
      const heartbeat = setInterval(() => ctx.heartbeat(), HEARTBEAT_MS);
      try {
        const outcome = await toolCalls.call(invocationId, {
          attempt: ctx.info.attempt,
          signal: ctx.cancellationSignal,
        });
        if (outcome.kind !== 'succeeded') throw toApplicationFailure(outcome);
      } finally {
        clearInterval(heartbeat);
      }
    },
  };
}
