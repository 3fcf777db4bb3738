import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import {
  APPROVAL_WORKFLOW,
  approvalWorkflowId,
  decideUpdate,
  DecisionRejection,
  refreshDecisionKeysUpdate,
  type ApprovalState,
  type ApprovalStatus,
  type ApprovalWorkflow,
  type Decision,
  type DecisionChannel,
} from '../../contracts/approval.contract.js';
import { OrgIdKey, StatusKey } from '../../contracts/search-attributes.js';
import { ApprovalRepository } from '../db/approval.repository.js';
import type { ApprovalRow } from '../db/rows.js';
import { AppError } from '../errors.js';
import type { Actor } from '../identity/actor.js';
import { pollUntil } from '../wait.js';
import { decisionError, rejectionType } from './decision-errors.js';
import type { DecisionTokenSigner, SignedDecisionToken } from './decision-token.js';

/** A standalone approval: a decision about anything (a budget override, a deploy), not tied to an invocation. */
export interface StandaloneApproval {
  subjectType: string;
  subjectId: string;
  context: Record<string, unknown>;
  /** Seconds until it expires. */
  expiresIn: number;
  approverRoles: string[];
}

export interface ApprovalServiceDeps {
  db: Knex;
  temporal: Client;
  taskQueue: string;
  signer: DecisionTokenSigner;
}

/** How long creating a standalone approval waits for the row its workflow's first activity writes. */
const ROW_WAIT_MS = 10_000;

/**
 * The approvals door. Rows are written by approvalWorkflow's activities; this starts the workflow, and
 * decides through its update with a decision token signed for the caller (the workflow's validator verifies
 * it and re-checks everything; the checks here only fail early).
 */
export class ApprovalService {
  private readonly approvals: ApprovalRepository;

  constructor(private readonly deps: ApprovalServiceDeps) {
    this.approvals = new ApprovalRepository(deps.db);
  }

  list(orgId: string, filter: { status?: ApprovalStatus; limit: number }): Promise<ApprovalRow[]> {
    return this.approvals.list(orgId, filter);
  }

  get(orgId: string, id: string): Promise<ApprovalRow> {
    return this.approvals.get(orgId, id);
  }

  /** Starts the approval's workflow and answers its row, or only its ids when the row did not come in time. */
  async create(
    actor: Actor,
    input: StandaloneApproval,
  ): Promise<{ approvalId: string; workflowId: string; row?: ApprovalRow }> {
    const approvalId = randomUUID();
    const { orgId, userId } = actor;
    const handle = await this.deps.temporal.workflow.start<ApprovalWorkflow>(APPROVAL_WORKFLOW, {
      taskQueue: this.deps.taskQueue,
      workflowId: approvalWorkflowId(approvalId),
      args: [
        {
          approvalId,
          orgId,
          subjectType: input.subjectType,
          subjectId: input.subjectId,
          requestedBy: userId,
          approverRoles: input.approverRoles,
          context: input.context,
          expiresInMs: input.expiresIn * 1000,
        },
      ],
      typedSearchAttributes: [
        { key: OrgIdKey, value: orgId },
        { key: StatusKey, value: 'pending' },
      ],
    });
    const row = await pollUntil(
      () => this.approvals.get(orgId, approvalId).catch(() => undefined),
      (r) => r !== undefined,
      ROW_WAIT_MS,
    );
    return { approvalId, workflowId: handle.workflowId, ...(row ? { row } : {}) };
  }

  /** Decides the approval through its workflow; the update returns once recordDecision committed, so its state is the answer. */
  async decide(
    actor: Actor,
    id: string,
    decision: Decision,
    comment: string | undefined,
    channel: DecisionChannel,
  ): Promise<ApprovalRow> {
    const row = await this.approvals.get(actor.orgId, id);
    const signed = await this.token(row, actor, decision, channel);
    const handle = this.deps.temporal.workflow.getHandle(row.workflow_id);
    const input = { decision, token: signed.token, ...(comment !== undefined ? { comment } : {}) };
    const execute = () => handle.executeUpdate(decideUpdate, { args: [input] });
    let state: ApprovalState;
    try {
      state = await execute();
    } catch (err) {
      // Signed by a key the workflow does not hold yet (rotated since it started): load it, then once more.
      if (rejectionType(err) !== DecisionRejection.tokenUnknownKid) throw decisionError(err);
      await this.ensureKey(row, signed.kid);
      state = await execute().catch((again: unknown) => {
        throw decisionError(again);
      });
    }
    return {
      ...row,
      status: state.status,
      decided_by: state.decidedBy,
      comment: state.comment,
      decided_at: state.decidedAt ? new Date(state.decidedAt) : row.decided_at,
    };
  }

  /** A token for deciding through Temporal itself (CLI, UI): the caller's own, for one decision; the workflow holds its key. */
  async decisionToken(
    actor: Actor,
    id: string,
    decision: Decision,
  ): Promise<{ row: ApprovalRow; signed: SignedDecisionToken }> {
    const row = await this.approvals.get(actor.orgId, id);
    const signed = await this.token(row, actor, decision, 'temporal');
    await this.ensureKey(row, signed.kid);
    return { row, signed };
  }

  /** A token for `actor` to decide `row`, refused early where the workflow would refuse it. */
  private async token(
    row: ApprovalRow,
    actor: Actor,
    decision: Decision,
    channel: DecisionChannel,
  ): Promise<SignedDecisionToken> {
    if (row.status !== 'pending')
      throw new AppError(DecisionRejection.notPending, 409, `The approval is already ${row.status}`);
    if (row.requested_by === actor.userId)
      throw new AppError(
        DecisionRejection.selfApproval,
        403,
        'The requester cannot decide their own request (four eyes)',
      );
    if (!row.approver_roles.includes(actor.role)) {
      throw new AppError(
        DecisionRejection.forbiddenRole,
        403,
        `Deciding needs the role ${row.approver_roles.join(' or ')}; the key has ${actor.role}`,
        { required: row.approver_roles, role: actor.role },
      );
    }
    return this.deps.signer.sign({
      approvalId: row.id,
      orgId: row.org_id,
      userId: actor.userId,
      role: actor.role,
      decision,
      channel,
    });
  }

  /** Makes sure the approval's workflow holds the key that signed a token (a no-op, without history, when it does). */
  private async ensureKey(row: ApprovalRow, kid: string): Promise<void> {
    try {
      await this.deps.temporal.workflow
        .getHandle(row.workflow_id)
        .executeUpdate(refreshDecisionKeysUpdate, { args: [{ kid }] });
    } catch (err) {
      if (rejectionType(err) === DecisionRejection.keysCurrent) return;
      throw decisionError(err);
    }
  }
}
