import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { dbSteps, type Activities } from './activity-proxies.js';
import {
  approvalStateQuery,
  decideUpdate,
  DecisionRejection,
  refreshDecisionKeysUpdate,
  type ApprovalResult,
  type ApprovalState,
  type DecideInput,
  type DecisionKey,
  type ApprovalWorkflow,
} from '../contracts/approval.contract.js';
import { verifyDecisionToken } from './decision-token.js';
import { OrgIdKey, StatusKey } from '../contracts/search-attributes.js';

// Database steps are local activities (dbSteps); the webhook is a regular activity because its retries span minutes.
const db = dbSteps;
const notify = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 12 },
});

const reject = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });
const unwrap = (err: unknown) =>
  err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : err;

/** Decisions carry a signed token, verified in the validator and consumed by recordDecision (see below). */
export const DECISION_TOKEN_PATCH = 'approval-decision-token';

/*
 * Decisions carry proof. Temporal's frontend is a door of its own (anyone who reaches it can send an update),
 * so the workflow trusts no claim in the update's input. A decision needs a decision token: an ES256 JWS the
 * API signs with the platform signing keys for one approver, one approval of one org, one decision and a
 * channel, valid 5 minutes, with a jti. The validator checks it synchronously, before anything enters
 * history: signature (pure-JS P-256 over the public keys the workflow holds), typ/aud, expiry against
 * workflow time, approval/org/decision, four eyes and the approver roles. Validators may not run
 * activities, so the keys come in as data: openApproval answers them, and refreshDecisionKeys (whose
 * handler runs an activity) reloads them when a token names a kid the workflow lacks (a rotated key). The
 * handler then runs recordDecision, which verifies the token again against PostgreSQL, re-checks the
 * approver against the database and policy, and in one transaction consumes the jti (primary key: second
 * use fails), closes the row and audits the decision with its channel. A rejected or failed decision leaves
 * the approval pending. Runs from before tokens replay their old handler (DECISION_TOKEN_PATCH).
 */

/**
 * A human decision with a deadline: pending → approved | denied | expired (or cancelled with its parent).
 * Runs as a child of an invocation, or alone for a standalone approval (e.g. budget_override).
 */
export const approvalWorkflow: ApprovalWorkflow = async (input) => {
  const state: ApprovalState = { approvalId: input.approvalId, status: 'pending', decidedBy: null, comment: null };
  let keys: Record<string, DecisionKey> = {};
  let opened = false;
  // A decision whose recordDecision is in flight; expiry and cancellation wait for it (it may have committed).
  let deciding = false;
  // The main body stopped waiting (timer fired or cancel requested): no new decision is accepted.
  let closing = false;
  // recordDecision closed the row and audited the decision itself.
  let recorded = false;
  upsertSearchAttributes([
    { key: OrgIdKey, value: input.orgId },
    { key: StatusKey, value: 'pending' },
  ]);
  setHandler(approvalStateQuery, () => ({ ...state, signingKids: Object.keys(keys) }));
  const setKeys = (list: DecisionKey[] | undefined) =>
    void (keys = Object.fromEntries((list ?? []).map((k) => [k.kid, k])));
  const verdictOf = ({ decision, token }: DecideInput) =>
    verifyDecisionToken(token, keys, { approvalId: input.approvalId, orgId: input.orgId, decision, nowMs: Date.now() });

  setHandler(
    decideUpdate,
    async (decide: DecideInput) => {
      if (!patched(DECISION_TOKEN_PATCH)) return legacyDecide(decide);
      const verdict = verdictOf(decide);
      if (!verdict.ok) throw reject(verdict.type, verdict.message);
      deciding = true;
      try {
        await condition(() => opened);
        const recordedDecision = await CancellationScope.nonCancellable(() =>
          db.recordDecision({
            approvalId: input.approvalId,
            orgId: input.orgId,
            requestedBy: input.requestedBy,
            approverRoles: input.approverRoles,
            token: decide.token!,
            comment: decide.comment ?? null,
          }),
        );
        Object.assign(state, {
          status: recordedDecision.status,
          decidedBy: recordedDecision.decidedBy,
          comment: decide.comment ?? null,
          channel: recordedDecision.channel,
          decidedAt: recordedDecision.decidedAt,
        });
        recorded = true;
        return { ...state, signingKids: Object.keys(keys) };
      } catch (err) {
        throw unwrap(err);
      } finally {
        deciding = false;
      }
    },
    {
      // Cheap checks first: a rejected decision never enters history.
      validator: (decide: DecideInput) => {
        const { decision, approver, comment } = decide;
        if (decision !== 'approve' && decision !== 'deny')
          throw reject(DecisionRejection.invalid, 'decision must be "approve" or "deny"');
        if (comment !== undefined && (typeof comment !== 'string' || comment.length > 2000))
          throw reject(DecisionRejection.invalid, 'comment must be a string of at most 2000 characters');
        if (state.status !== 'pending' || closing)
          throw reject(
            DecisionRejection.notPending,
            `The approval is already ${state.status === 'pending' ? 'closing' : state.status}`,
          );
        if (deciding) throw reject(DecisionRejection.notPending, 'Another decision is being recorded');
        const verdict = verdictOf(decide);
        if (!verdict.ok) throw reject(verdict.type, verdict.message);
        const claims = verdict.claims;
        if (approver !== undefined && (approver?.userId !== claims.userId || approver?.orgId !== claims.orgId))
          throw reject(
            DecisionRejection.tokenMismatch,
            'The approver named is not the one the decision token was signed for',
          );
        if (claims.userId === input.requestedBy)
          throw reject(DecisionRejection.selfApproval, 'The requester cannot decide their own request (four eyes)');
        if (!input.approverRoles.includes(claims.role)) {
          throw reject(
            DecisionRejection.forbiddenRole,
            `Deciding needs the role ${input.approverRoles.join(' or ')}; the approver has ${claims.role}`,
          );
        }
      },
    },
  );

  setHandler(
    refreshDecisionKeysUpdate,
    async () => {
      setKeys(await db.loadDecisionKeys());
      return Object.keys(keys);
    },
    {
      // A kid the workflow already holds needs no reload (and no history event).
      validator: ({ kid }) => {
        if (typeof kid !== 'string' || kid.length === 0 || kid.length > 200)
          throw reject(DecisionRejection.invalid, 'kid must be a key id');
        if (keys[kid]) throw reject(DecisionRejection.keysCurrent, `Key ${kid} is already held`);
        if (state.status !== 'pending' || closing)
          throw reject(DecisionRejection.notPending, `The approval is already ${state.status}`);
      },
    },
  );

  /** Decisions from before decision tokens, as their histories recorded them: the approver claim, checked by an activity. */
  async function legacyDecide({ decision, approver, comment }: DecideInput): Promise<ApprovalState> {
    try {
      await db.authorizeApprover({
        approvalId: input.approvalId,
        approver: approver!,
        approverRoles: input.approverRoles,
        requestedBy: input.requestedBy,
        orgId: input.orgId,
      });
    } catch (err) {
      throw unwrap(err);
    }
    if (state.status !== 'pending')
      throw reject(DecisionRejection.notPending, `The approval is already ${state.status}`);
    state.status = decision === 'approve' ? 'approved' : 'denied';
    state.decidedBy = approver!.userId;
    state.comment = comment ?? null;
    return state;
  }

  setKeys((await db.openApproval(input)).keys);
  opened = true;
  // Notification runs beside the wait: a slow or failing webhook never delays a decision.
  const notified = notify.notifyApprovers({ approvalId: input.approvalId }).catch(() => undefined);

  let ending: 'expired' | 'cancelled' = 'expired';
  try {
    await condition(() => state.status !== 'pending', input.expiresInMs);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    ending = 'cancelled';
  }
  await CancellationScope.nonCancellable(async () => {
    closing = true;
    // A decision already being recorded wins over the timer or the cancel: its transaction may have committed.
    await condition(() => !deciding);
    if (state.status === 'pending') state.status = ending;
    if (!recorded)
      await db.closeApproval({
        approvalId: input.approvalId,
        status: state.status as ApprovalResult['status'],
        decidedBy: state.decidedBy,
        comment: state.comment,
      });
    upsertSearchAttributes([{ key: StatusKey, value: state.status }]);
    await condition(allHandlersFinished);
  });
  if (state.status !== 'cancelled') await notified;
  return {
    approvalId: input.approvalId,
    status: state.status as ApprovalResult['status'],
    decidedBy: state.decidedBy,
    comment: state.comment,
  };
};
