import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import {
  approvalStateQuery,
  decideUpdate,
  DecisionRejection,
  type ApprovalInput,
  type ApprovalResult,
  type ApprovalState,
  type DecideInput,
} from './approval.messages.js';
import { OrgIdKey, StatusKey } from './search-attributes.js';

type Activities = ReturnType<typeof createActivities>;
// Database steps are local activities (no server round trip each); the webhook is a regular activity
// because its retries span minutes.
const db = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds', retry: { maximumInterval: '10 seconds' } });
const notify = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 12 },
});

const reject = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

/**
 * A human decision with a deadline: pending → approved | denied | expired (or cancelled with its parent).
 * Runs as a child of an invocation, or alone for a standalone approval (e.g. budget_override).
 */
export async function approvalWorkflow(input: ApprovalInput): Promise<ApprovalResult> {
  const state: ApprovalState = { approvalId: input.approvalId, status: 'pending', decidedBy: null, comment: null };
  upsertSearchAttributes({ [OrgIdKey.name]: [input.orgId], [StatusKey.name]: ['pending'] });
  setHandler(approvalStateQuery, () => state);
  setHandler(
    decideUpdate,
    async ({ decision, approver, comment }: DecideInput) => {
      // The caller's claim about the approver is checked against the database and policy: an operator
      // approving from the Temporal CLI cannot grant a user powers they do not have.
      try {
        await db.authorizeApprover({ approvalId: input.approvalId, approver, approverRoles: input.approverRoles, requestedBy: input.requestedBy, orgId: input.orgId });
      } catch (err) {
        // Surface the policy's rejection itself (its type maps to a 403), not the activity wrapper.
        if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) throw err.cause;
        throw err;
      }
      if (state.status !== 'pending') throw reject(DecisionRejection.notPending, `The approval is already ${state.status}`);
      state.status = decision === 'approve' ? 'approved' : 'denied';
      state.decidedBy = approver.userId;
      state.comment = comment ?? null;
      return state;
    },
    {
      // Cheap checks first: a rejected decision never enters history.
      validator: ({ decision, approver, comment }: DecideInput) => {
        if (decision !== 'approve' && decision !== 'deny') throw reject(DecisionRejection.invalid, 'decision must be "approve" or "deny"');
        if (!approver || typeof approver.userId !== 'string' || typeof approver.orgId !== 'string' || typeof approver.role !== 'string') {
          throw reject(DecisionRejection.invalid, 'approver {userId, orgId, role} is required');
        }
        if (comment !== undefined && (typeof comment !== 'string' || comment.length > 2000)) throw reject(DecisionRejection.invalid, 'comment must be a string of at most 2000 characters');
        if (state.status !== 'pending') throw reject(DecisionRejection.notPending, `The approval is already ${state.status}`);
        if (approver.orgId !== input.orgId) throw reject(DecisionRejection.wrongOrg, 'The approver belongs to another organization');
        if (approver.userId === input.requestedBy) throw reject(DecisionRejection.selfApproval, 'The requester cannot decide their own request (four eyes)');
        if (!input.approverRoles.includes(approver.role)) {
          throw reject(DecisionRejection.forbiddenRole, `Deciding needs the role ${input.approverRoles.join(' or ')}; the approver has ${approver.role}`);
        }
      },
    },
  );

  await db.openApproval(input);
  // Notification runs beside the wait: a slow or failing webhook never delays a decision.
  const notified = notify.notifyApprovers({ approvalId: input.approvalId }).catch(() => undefined);

  try {
    const decided = await condition(() => state.status !== 'pending', input.expiresInMs);
    if (!decided) state.status = 'expired';
  } catch (err) {
    if (!isCancellation(err)) throw err;
    state.status = 'cancelled';
  }
  await CancellationScope.nonCancellable(async () => {
    await db.closeApproval({ approvalId: input.approvalId, status: state.status as ApprovalResult['status'], decidedBy: state.decidedBy, comment: state.comment });
    upsertSearchAttributes({ [StatusKey.name]: [state.status] });
    await condition(allHandlersFinished);
  });
  if (state.status !== 'cancelled') await notified;
  return { approvalId: input.approvalId, status: state.status as ApprovalResult['status'], decidedBy: state.decidedBy, comment: state.comment };
}
