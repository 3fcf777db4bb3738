import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  patched,
  setHandler,
  startChild,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { dbSteps, type Activities } from './activity-proxies.js';
import { approvalWorkflowId } from '../contracts/approval.contract.js';
import { approvalWorkflow } from './approval.workflow.js';
import {
  DEFAULT_APPROVAL_TIMEOUT_MS,
  invocationStateQuery,
  type InvocationState,
  type InvocationStatus,
  type InvokeResult,
  type InvokeCapabilityWorkflow,
} from '../contracts/invocation.contract.js';
import { AgentIdKey, CapabilityKey, OrgIdKey, StatusKey } from '../contracts/search-attributes.js';

// Database steps are local activities (dbSteps). Only the MCP call, which may take long and must survive
// worker loss mid-call, is a regular activity.
const db = dbSteps;
// Transient MCP failures (server down, restarting) and calls a server's limits held back (rate,
// concurrency, open breaker: retried after the wait they name) are retried for up to 10 minutes; the
// activity itself marks what must not be retried (tool errors, invalid params, calls that may have run).
// A call's own timeout is the server's timeoutMs; the activity heartbeats, so a lost worker is noticed
// after heartbeatTimeout rather than start-to-close (which must never cut a call short: a retry could
// repeat a tool that already ran).
const mcp = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '5 seconds' },
});

/** The approval's workflow starts before its row is written (the child writes it); see the approval step. */
export const APPROVAL_WORKFLOW_FIRST_PATCH = 'approval-workflow-first';

/** From here on a call past the org's monthlyBudget waits for an admin's budget_override approval. */
export const BUDGET_OVERRIDE_PATCH = 'budget-override';

/**
 * From here on a failed invocation closes its workflow as FAILED (ApplicationFailure, its error code as the
 * type), so Temporal's failure views and counts show it; the row is recorded first, so the API reads the
 * same answer. Denied, expired and cancelled still complete, told apart by CollexaStatus.
 */
export const FAILED_WORKFLOW_PATCH = 'failed-invocation-fails-workflow';

/**
 * From here on the first workflow task does less (bench/invoke measured it): the search attributes its
 * starter set (the API and pipelines set them at start) are not upserted again, and the policy decision's
 * local activity also answers the budget check, which was a second local activity and query.
 */
export const LEAN_FIRST_TASK_PATCH = 'invocation-lean-first-task';

/** Governed capability invocation: policy → optional human approval → MCP tool call → recorded outcome. */
export const invokeCapabilityWorkflow: InvokeCapabilityWorkflow = async (input) => {
  const state: InvocationState = { invocationId: input.invocationId, status: 'running', approvalId: null };
  setHandler(invocationStateQuery, () => state);
  const lean = patched(LEAN_FIRST_TASK_PATCH);
  // A starter that set no search attributes (not one of ours) still gets them: the started event holds them,
  // so this reads the same on replay.
  if (!lean || workflowInfo().typedSearchAttributes.get(OrgIdKey) === undefined)
    upsertSearchAttributes([
      { key: OrgIdKey, value: input.orgId },
      { key: AgentIdKey, value: input.agentId },
      { key: CapabilityKey, value: input.capability },
      { key: StatusKey, value: 'running' },
    ]);

  const finish = async (
    status: InvocationStatus,
    error?: { code: string; message: string; details?: Record<string, unknown> },
  ): Promise<InvokeResult> => {
    state.status = status;
    await CancellationScope.nonCancellable(() =>
      db.finishInvocation({ invocationId: input.invocationId, status, error }),
    );
    upsertSearchAttributes([{ key: StatusKey, value: status }]);
    if (status === 'failed' && error && patched(FAILED_WORKFLOW_PATCH))
      throw ApplicationFailure.create({
        type: error.code,
        message: error.message,
        nonRetryable: true,
        details: [{ invocationId: input.invocationId, status, ...(error.details ? { details: error.details } : {}) }],
      });
    return { invocationId: input.invocationId, status };
  };

  /** Waits for an approval of the invocation; a result when it ends the invocation, undefined to go on. */
  const awaitApproval = async (
    subjectType: 'invocation' | 'budget_override',
    approverRoles: string[],
    context: Record<string, unknown>,
  ): Promise<InvokeResult | undefined> => {
    const approvalId = uuid4();
    const approvalInput = {
      approvalId,
      orgId: input.orgId,
      subjectType,
      subjectId: input.invocationId,
      invocationId: input.invocationId,
      requestedBy: input.requestedBy,
      approverRoles,
      context: { agentId: input.agentId, capability: input.capability, ...context },
      expiresInMs: input.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS,
    };
    // The approval's workflow first: its openApproval writes the row and marks this invocation
    // pending_approval in one transaction, so whoever sees that status can decide at once. Runs from
    // before APPROVAL_WORKFLOW_FIRST_PATCH wrote the row here first and marked the status themselves.
    const workflowFirst = patched(APPROVAL_WORKFLOW_FIRST_PATCH);
    if (!workflowFirst) await db.openApproval(approvalInput);
    const child = await startChild(approvalWorkflow, {
      workflowId: approvalWorkflowId(approvalId),
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      args: [approvalInput],
    });
    state.status = 'pending_approval';
    state.approvalId = approvalId;
    if (!workflowFirst)
      await db.markInvocation({ invocationId: input.invocationId, status: 'pending_approval', approvalId });
    upsertSearchAttributes([{ key: StatusKey, value: 'pending_approval' }]);
    const approval = await child.result();
    if (approval.status === 'denied')
      return await finish('denied', {
        code: 'approval_denied',
        message: approval.comment ?? 'denied by approver',
        details: { decidedBy: approval.decidedBy },
      });
    if (approval.status === 'expired')
      return await finish('expired', {
        code: 'approval_expired',
        message: 'no approver decided before the approval expired',
      });
    if (approval.status === 'cancelled') return await finish('cancelled');
    state.status = 'running';
    await db.markInvocation({ invocationId: input.invocationId, status: 'running' });
    upsertSearchAttributes([{ key: StatusKey, value: 'running' }]);
    return undefined;
  };

  try {
    const decision = await db.decideInvocation({ invocationId: input.invocationId, ...(lean ? { budget: true } : {}) });
    if (!decision.allow)
      return await finish('denied', {
        code: 'policy_denied',
        message: decision.reasons.join('; ') || 'denied by policy',
      });

    // Past the org's monthly budget an admin approves each new call first (runs from BUDGET_OVERRIDE_PATCH
    // on; older runs never asked, and replay keeps them so).
    if (patched(BUDGET_OVERRIDE_PATCH)) {
      const budget = decision.budget ?? (await db.checkInvocationBudget({ invocationId: input.invocationId }));
      if (budget.exceeded) {
        const ended = await awaitApproval('budget_override', ['admin'], {
          reasons: ["the org's month-to-date cost passed its monthly budget"],
          budgetMinor: budget.budgetMinor,
          spentMicros: budget.spentMicros,
        });
        if (ended) return ended;
      }
    }

    if (decision.requireApproval) {
      const ended = await awaitApproval('invocation', decision.approverRoles, { reasons: decision.reasons });
      if (ended) return ended;
    }

    // The activity records the result and the succeeded state itself, in the same step as the call.
    await mcp.callCapabilityTool({ invocationId: input.invocationId });
    state.status = 'succeeded';
    upsertSearchAttributes([{ key: StatusKey, value: 'succeeded' }]);
    return { invocationId: input.invocationId, status: 'succeeded' };
  } catch (err) {
    if (isCancellation(err)) return await finish('cancelled');
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
      return await finish('failed', {
        code: err.cause.type ?? 'tool_failed',
        message: err.cause.message,
        details: (err.cause.details?.[0] as Record<string, unknown>) ?? {},
      });
    }
    if (err instanceof ActivityFailure)
      return await finish('failed', { code: 'tool_unavailable', message: err.cause?.message ?? err.message });
    // The approval's workflow failed (e.g. PostgreSQL refused its row): end here rather than hang.
    if (err instanceof ChildWorkflowFailure) {
      const cause = err.cause instanceof ActivityFailure ? err.cause.cause : err.cause;
      return await finish('failed', {
        code: 'approval_failed',
        message: cause?.message ?? err.message,
        details: cause instanceof ApplicationFailure && cause.type ? { type: cause.type } : {},
      });
    }
    throw err;
  }
};
