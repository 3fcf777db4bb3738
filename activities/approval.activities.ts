import { ApplicationFailure } from '@temporalio/activity';
import { ApprovalRepository } from '../core/db/approval.repository.js';
import { AuditRepository } from '../core/db/audit.repository.js';
import type { ApprovalStatus, OrganizationRow, UserRow } from '../core/db/rows.js';
import { EgressDenied, EgressPolicy } from '../core/net/egress.js';
import { guardedFetch } from '../core/net/guarded-fetch.js';
import { deliverWebhook, WebhookRejectedError } from '../core/notify/webhook.js';
import { approvalWebhookOf } from '../core/org/org-settings.js';
import { approvalWorkflowId, DecisionRejection, type ApprovalInput, type Approver } from '../workflows/approval.messages.js';
import type { ActivityDeps } from './index.js';

/** Activities of approvalWorkflow: the approvals row, approver authorization, and webhook notification. */
export function createApprovalActivities(deps: ActivityDeps) {
  const { db } = deps;
  const approvals = new ApprovalRepository(db);
  const audit = new AuditRepository(db);
  const webhookFetch = guardedFetch(deps.egress ?? new EgressPolicy());

  return {
    /** Writes the pending approval row (once: the parent invocation may already have opened it). */
    async openApproval(input: ApprovalInput): Promise<{ expiresAt: string }> {
      const { row, created } = await approvals.open({
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
      if (!created) return { expiresAt: new Date(row.expires_at).toISOString() };
      await audit.record({
        org_id: input.orgId,
        actor: `user:${input.requestedBy}`,
        action: 'approval.requested',
        subject_type: 'approval',
        subject_id: input.approvalId,
        invocation_id: input.invocationId ?? null,
        data: { subjectType: input.subjectType, subjectId: input.subjectId, approverRoles: input.approverRoles, expiresAt: row.expires_at },
      });
      return { expiresAt: new Date(row.expires_at).toISOString() };
    },

    async closeApproval(input: { approvalId: string; status: Exclude<ApprovalStatus, 'pending'>; decidedBy: string | null; comment: string | null }): Promise<void> {
      const row = await approvals.getById(input.approvalId);
      await approvals.close(input.approvalId, { status: input.status, decided_by: input.decidedBy, comment: input.comment });
      if (row.status !== 'pending') return; // a retry: already closed and audited
      await audit.record({
        org_id: row.org_id,
        actor: input.decidedBy ? `user:${input.decidedBy}` : 'system',
        action: `approval.${input.status}`,
        subject_type: 'approval',
        subject_id: row.id,
        invocation_id: row.invocation_id,
        data: input.comment ? { comment: input.comment } : {},
      });
    },

    /** The authoritative check behind a decision: the approver exists, in this org, and policy lets them decide. */
    async authorizeApprover(input: { approvalId: string; approver: Approver; approverRoles: string[]; requestedBy: string; orgId: string }): Promise<void> {
      const user = await db<UserRow>('users').where({ id: input.approver.userId }).first();
      const approval = await approvals.getById(input.approvalId);
      const decision = deps.policy.decideApprove({
        approver: { id: user?.id ?? input.approver.userId, role: user?.role ?? '', org_id: user?.org_id ?? '' },
        approval: { org_id: input.orgId, requested_by: input.requestedBy, approver_roles: input.approverRoles, status: approval.status },
      });
      if (!user || !decision.allow) {
        await audit.record({
          org_id: input.orgId,
          actor: `user:${input.approver.userId}`,
          action: 'approval.decision_rejected',
          subject_type: 'approval',
          subject_id: input.approvalId,
          invocation_id: approval.invocation_id,
          data: { reasons: user ? decision.reasons : ['unknown user'], policyVersion: decision.policyVersion },
        });
        throw ApplicationFailure.create({
          type: DecisionRejection.policyDenied,
          message: user ? decision.reasons.join('; ') || 'policy does not allow this approver' : 'the approver is not a known user',
          nonRetryable: true,
        });
      }
    },

    /** POSTs the HMAC-signed approval request to the org's webhook, if one is configured. */
    async notifyApprovers({ approvalId }: { approvalId: string }): Promise<{ delivered: boolean; status?: number }> {
      const approval = await approvals.getById(approvalId);
      const org = await db<OrganizationRow>('organizations').where({ id: approval.org_id }).first();
      const webhook = org ? approvalWebhookOf(org.settings) : null;
      if (!webhook) return { delivered: false };
      const payload = {
        type: 'approval.requested',
        approval: {
          id: approval.id,
          orgId: approval.org_id,
          subjectType: approval.subject_type,
          subjectId: approval.subject_id,
          invocationId: approval.invocation_id,
          requestedBy: approval.requested_by,
          approverRoles: approval.approver_roles,
          context: approval.context,
          expiresAt: approval.expires_at,
        },
      };
      try {
        const status = await deliverWebhook(webhookFetch, webhook, payload);
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
