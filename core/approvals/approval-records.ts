import type { Knex } from 'knex';
import {
  approvalWorkflowId,
  type ApprovalInput,
  type ApprovalOutcome,
  type DecisionKey,
} from '../../contracts/approval.contract.js';
import { PIPELINE_APPROVAL_SUBJECT } from '../../contracts/pipeline.contract.js';
import { ApprovalRepository } from '../db/approval.repository.js';
import { AuditRepository } from '../db/audit.repository.js';
import { IdentityRepository } from '../db/identity.repository.js';
import { InvocationRepository } from '../db/invocation.repository.js';
import { PipelineRepository } from '../db/pipeline.repository.js';
import { SandboxRepository } from '../db/sandbox.repository.js';
import { AppError } from '../errors.js';
import { EgressDenied } from '../net/egress.js';
import type { GuardedFetch } from '../net/guarded-fetch.js';
import { approvalRequestedEvent } from '../notify/approval-event.js';
import { deliverWebhook, WebhookRejectedError } from '../notify/webhook.js';
import { approvalWebhookOf } from '../org/org-settings.js';
import { decisionKeys } from './decision-records.js';

/** The approval row's life as its workflow drives it: opened, closed, and announced to the org's webhook. */
export class ApprovalRecords {
  private readonly approvals: ApprovalRepository;
  private readonly audit: AuditRepository;
  private readonly invocations: InvocationRepository;

  constructor(
    private readonly db: Knex,
    private readonly webhookFetch: GuardedFetch,
  ) {
    this.approvals = new ApprovalRepository(db);
    this.audit = new AuditRepository(db);
    this.invocations = new InvocationRepository(db);
  }

  /**
   * Writes the pending approval row (once: the parent invocation may already have opened it) and, for an
   * invocation's approval, marks the invocation pending_approval in the same transaction (a connected
   * sandbox's approval: records its id on the sandbox; a pipeline's deploy gate: marks it pending_approval), so whoever sees that status or id finds the approval. Answers the public signing keys the workflow verifies tokens with.
   */
  async open(input: ApprovalInput): Promise<{ expiresAt: string; keys: DecisionKey[] }> {
    const keys = await decisionKeys(this.db);
    return this.db.transaction(async (trx: Knex) => {
      const { row, created } = await new ApprovalRepository(trx).open({
        id: input.approvalId,
        org_id: input.orgId,
        subject_type: input.subjectType,
        subject_id: input.subjectId,
        invocation_id: input.invocationId ?? null,
        requested_by: input.requestedBy,
        approver_roles: input.approverRoles,
        context: input.context,
        workflow_id: approvalWorkflowId(input.approvalId),
        expires_at: new Date(Date.now() + input.expiresInMs),
      });
      const expiresAt = new Date(row.expires_at).toISOString();
      if (!created) return { expiresAt, keys };
      if (input.invocationId)
        await new InvocationRepository(trx).markPendingApproval(input.invocationId, input.approvalId);
      if (input.subjectType === 'sandbox_connected')
        await new SandboxRepository(trx).markPendingApproval(input.subjectId, input.approvalId);
      if (input.subjectType === PIPELINE_APPROVAL_SUBJECT)
        await new PipelineRepository(trx).markPendingApproval(input.subjectId, input.approvalId);
      await this.audit.record(
        {
          org_id: input.orgId,
          actor: `user:${input.requestedBy}`,
          action: 'approval.requested',
          subject_type: 'approval',
          subject_id: input.approvalId,
          invocation_id: input.invocationId ?? null,
          data: {
            subjectType: input.subjectType,
            subjectId: input.subjectId,
            approverRoles: input.approverRoles,
            expiresAt: row.expires_at,
          },
        },
        trx,
      );
      return { expiresAt, keys };
    });
  }

  /** Closes a still-pending approval (expired, cancelled, or a decision from before tokens) and audits it once. */
  async close(input: {
    approvalId: string;
    status: ApprovalOutcome;
    decidedBy: string | null;
    comment: string | null;
  }): Promise<void> {
    const row = await this.approvals.getById(input.approvalId);
    await this.approvals.close(input.approvalId, {
      status: input.status,
      decided_by: input.decidedBy,
      comment: input.comment,
    });
    if (row.status !== 'pending') return; // a retry: already closed and audited
    const canceller =
      input.status === 'cancelled' && row.invocation_id
        ? (await this.invocations.getById(row.invocation_id)).cancel_requested_by
        : null;
    const actor = input.decidedBy ?? canceller;
    await this.audit.record({
      org_id: row.org_id,
      actor: actor ? `user:${actor}` : 'system',
      action: `approval.${input.status}`,
      subject_type: 'approval',
      subject_id: row.id,
      invocation_id: row.invocation_id,
      data: input.comment ? { comment: input.comment } : {},
    });
  }

  /**
   * POSTs the approval request to the org's webhook, if one is configured, signed in the Standard Webhooks
   * format (one webhook-id per approval). A receiver's 4xx and a URL the egress policy refuses are final.
   */
  async notify(approvalId: string): Promise<{ delivered: boolean; status?: number }> {
    const approval = await this.approvals.getById(approvalId);
    const org = await new IdentityRepository(this.db).findOrganization(approval.org_id);
    const webhook = org ? approvalWebhookOf(org.settings) : null;
    if (!webhook) return { delivered: false };
    try {
      const status = await deliverWebhook(this.webhookFetch, webhook, approvalRequestedEvent(approval));
      await this.audit.record({
        org_id: approval.org_id,
        actor: 'system',
        action: 'approval.notified',
        subject_type: 'approval',
        subject_id: approval.id,
        invocation_id: approval.invocation_id,
        data: { status },
      });
      return { delivered: true, status };
    } catch (err) {
      if (err instanceof WebhookRejectedError) throw new AppError('webhook_rejected', 422, err.message);
      if (err instanceof EgressDenied) throw new AppError('egress_denied', 403, err.message);
      throw err;
    }
  }
}
