import { ApplicationFailure } from '@temporalio/activity';
import type { Knex } from 'knex';
import { ApprovalRepository } from '../core/db/approval.repository.js';
import { AuditRepository } from '../core/db/audit.repository.js';
import { InvocationRepository } from '../core/db/invocation.repository.js';
import type { OrganizationRow } from '../core/db/rows.js';
import { EgressDenied, EgressPolicy } from '../core/net/egress.js';
import { guardedFetch } from '../core/net/guarded-fetch.js';
import { approvalRequestedEvent } from '../core/notify/approval-event.js';
import { deliverWebhook, WebhookRejectedError } from '../core/notify/webhook.js';
import { approvalWebhookOf } from '../core/org/org-settings.js';
import { approvalWorkflowId, type ApprovalInput, type ApprovalOutcome, type Approver, type DecisionKey } from '../contracts/approval.contract.js';
import { assertApprover, decisionKeys } from './approval-decision.activities.js';
import type { ActivityDeps } from './index.js';

/** Activities of approvalWorkflow: the approvals row, approver authorization, and webhook notification. */
export function createApprovalActivities(deps: ActivityDeps) {
  const { db } = deps;
  const approvals = new ApprovalRepository(db);
  const audit = new AuditRepository(db);
  const invocations = new InvocationRepository(db);
  const webhookFetch = guardedFetch(deps.egress ?? new EgressPolicy());

  return {
    /**
     * Writes the pending approval row (once: the parent invocation may already have opened it) and, for an
     * invocation's approval, marks the invocation pending_approval in the same transaction, so whoever sees
     * that status finds the approval. Answers the public signing keys the workflow verifies tokens with.
     */
    async openApproval(input: ApprovalInput): Promise<{ expiresAt: string; keys: DecisionKey[] }> {
      const keys = await decisionKeys(db);
      return db.transaction(async (trx: Knex) => {
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
        if (input.invocationId) await new InvocationRepository(trx).markPendingApproval(input.invocationId, input.approvalId);
        await audit.record(
          {
            org_id: input.orgId,
            actor: `user:${input.requestedBy}`,
            action: 'approval.requested',
            subject_type: 'approval',
            subject_id: input.approvalId,
            invocation_id: input.invocationId ?? null,
            data: { subjectType: input.subjectType, subjectId: input.subjectId, approverRoles: input.approverRoles, expiresAt: row.expires_at },
          },
          trx,
        );
        return { expiresAt, keys };
      });
    },

    async closeApproval(input: { approvalId: string; status: ApprovalOutcome; decidedBy: string | null; comment: string | null }): Promise<void> {
      const row = await approvals.getById(input.approvalId);
      await approvals.close(input.approvalId, { status: input.status, decided_by: input.decidedBy, comment: input.comment });
      if (row.status !== 'pending') return; // a retry: already closed and audited
      const canceller = input.status === 'cancelled' && row.invocation_id ? (await invocations.getById(row.invocation_id)).cancel_requested_by : null;
      const actor = input.decidedBy ?? canceller;
      await audit.record({
        org_id: row.org_id,
        actor: actor ? `user:${actor}` : 'system',
        action: `approval.${input.status}`,
        subject_type: 'approval',
        subject_id: row.id,
        invocation_id: row.invocation_id,
        data: input.comment ? { comment: input.comment } : {},
      });
    },

    /** The check behind a decision from before decision tokens (kept for histories that still replay it). */
    async authorizeApprover(input: { approvalId: string; approver: Approver; approverRoles: string[]; requestedBy: string; orgId: string }): Promise<void> {
      await assertApprover(deps, input);
    },

    /** POSTs the approval request to the org's webhook, if one is configured, signed in the Standard Webhooks format (one webhook-id per approval). */
    async notifyApprovers({ approvalId }: { approvalId: string }): Promise<{ delivered: boolean; status?: number }> {
      const approval = await approvals.getById(approvalId);
      const org = await db<OrganizationRow>('organizations').where({ id: approval.org_id }).first();
      const webhook = org ? approvalWebhookOf(org.settings) : null;
      if (!webhook) return { delivered: false };
      try {
        const status = await deliverWebhook(webhookFetch, webhook, approvalRequestedEvent(approval));
        await audit.record({ org_id: approval.org_id, actor: 'system', action: 'approval.notified', subject_type: 'approval', subject_id: approval.id, invocation_id: approval.invocation_id, data: { status } });
        return { delivered: true, status };
      } catch (err) {
        if (err instanceof WebhookRejectedError) throw ApplicationFailure.create({ type: 'webhook_rejected', message: err.message, nonRetryable: true });
        if (err instanceof EgressDenied) throw ApplicationFailure.create({ type: 'egress_denied', message: err.message, nonRetryable: true });
        throw err;
      }
    },
  };
}
