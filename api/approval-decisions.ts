import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { DecisionTokenSigner, SignedDecisionToken } from '../core/approvals/decision-token.js';
import type { ApprovalRow } from '../core/db/rows.js';
import { AppError } from '../core/errors.js';
import type { Principal } from '../core/identity/identity.service.js';
import { decideUpdate, DecisionRejection, refreshDecisionKeysUpdate, type ApprovalState, type Decision, type DecisionChannel } from '../contracts/approval.contract.js';
import { decisionError } from './temporal-errors.js';

const rejectionType = (err: unknown) => (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure ? err.cause.type : undefined);

/**
 * Decisions through the API: sign a decision token for the caller and hand it to the approval's workflow
 * (whose validator verifies it), or give it to the caller to send themselves through Temporal.
 */
export class ApprovalDecisions {
  constructor(
    private readonly temporal: Client,
    private readonly signer: DecisionTokenSigner,
  ) {}

  /** A token for `p` to decide `row` (the workflow re-checks everything; these checks only fail early). */
  async token(row: ApprovalRow, p: Principal, decision: Decision, channel: DecisionChannel): Promise<SignedDecisionToken> {
    if (row.status !== 'pending') throw new AppError(DecisionRejection.notPending, 409, `The approval is already ${row.status}`);
    if (row.requested_by === p.userId) throw new AppError(DecisionRejection.selfApproval, 403, 'The requester cannot decide their own request (four eyes)');
    if (!row.approver_roles.includes(p.role)) {
      throw new AppError(DecisionRejection.forbiddenRole, 403, `Deciding needs the role ${row.approver_roles.join(' or ')}; the key has ${p.role}`, { required: row.approver_roles, role: p.role });
    }
    return this.signer.sign({ approvalId: row.id, orgId: row.org_id, userId: p.userId, role: p.role, decision, channel });
  }

  /** Makes sure the approval's workflow holds the key that signed `token` (a no-op, without history, when it does). */
  async ensureKey(row: ApprovalRow, kid: string): Promise<void> {
    try {
      await this.temporal.workflow.getHandle(row.workflow_id).executeUpdate(refreshDecisionKeysUpdate, { args: [{ kid }] });
    } catch (err) {
      if (rejectionType(err) === DecisionRejection.keysCurrent) return;
      throw decisionError(err);
    }
  }

  /** Signs a token for the caller and executes the decide update with it; answers the update's result. */
  async decide(row: ApprovalRow, p: Principal, decision: Decision, comment: string | undefined, channel: DecisionChannel): Promise<ApprovalState> {
    const signed = await this.token(row, p, decision, channel);
    const handle = this.temporal.workflow.getHandle(row.workflow_id);
    const input = { decision, token: signed.token, ...(comment !== undefined ? { comment } : {}) };
    try {
      return await handle.executeUpdate(decideUpdate, { args: [input] });
    } catch (err) {
      // Signed by a key the workflow does not hold yet (rotated since it started): load it, then once more.
      if (rejectionType(err) !== DecisionRejection.tokenUnknownKid) throw decisionError(err);
    }
    await this.ensureKey(row, signed.kid);
    try {
      return await handle.executeUpdate(decideUpdate, { args: [input] });
    } catch (err) {
      throw decisionError(err);
    }
  }
}
