import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { DecisionTokenSigner } from '../../core/approvals/decision-token.js';
import { ApprovalRepository } from '../../core/db/approval.repository.js';
import type { Db } from '../../core/db/knex.js';
import { SigningKeys } from '../../core/manifests/signing-keys.js';
import type { SecretVault } from '../../core/secrets/vault.js';
import { APPROVAL_STATUSES, APPROVAL_WORKFLOW, approvalWorkflowId, DECISIONS, type ApprovalWorkflow } from '../../contracts/approval.contract.js';
import { OrgIdKey, StatusKey } from '../../contracts/search-attributes.js';
import { ApprovalDecisions } from '../approval-decisions.js';
import { principalOf, requireRole } from '../middleware/auth.js';
import { parseBody, parseParam, parseQuery } from '../middleware/validate.js';
import { pollUntil } from '../../core/wait.js';
import { approvalView } from '../views/approval.view.js';

const DecisionSchema = z.strictObject({ comment: z.string().max(2000).optional() });
const TokenRequestSchema = z.strictObject({ decision: z.enum(DECISIONS) });
export const CreateApprovalSchema = z.strictObject({
  subjectType: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'lower_snake_case, e.g. budget_override'),
  subjectId: z.string().min(1).max(200),
  context: z.record(z.string(), z.unknown()).default({}),
  /** Seconds until the approval expires (default 24 h, at most 30 days). */
  expiresIn: z.number().int().min(1).max(30 * 24 * 3600).default(24 * 3600),
  approverRoles: z.array(z.enum(['approver', 'admin'])).min(1).default(['approver', 'admin']),
});
export type CreateApproval = z.infer<typeof CreateApprovalSchema>;
const ListQuery = z.strictObject({
  status: z.enum(APPROVAL_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

/** /v1/approvals: pending decisions, approve/deny (Temporal updates with a signed decision token), decision tokens, standalone approvals. */
export function approvalRoutes(deps: { db: Db; temporal: Client; taskQueue: string; vault: SecretVault; issuer: string }): Router {
  const router = Router();
  const approvals = new ApprovalRepository(deps.db);
  const decisions = new ApprovalDecisions(deps.temporal, new DecisionTokenSigner(new SigningKeys(deps.db, deps.vault), deps.issuer));

  router.get('/v1/approvals', async (req, res) => {
    const q = parseQuery(req, ListQuery);
    res.json({ data: (await approvals.list(principalOf(req).orgId, q)).map(approvalView) });
  });

  router.get('/v1/approvals/:id', async (req, res) => {
    const id = parseParam(req, 'id', z.uuid(), 'approval');
    res.json(approvalView(await approvals.get(principalOf(req).orgId, id)));
  });

  router.post('/v1/approvals', requireRole('admin', 'developer', 'approver'), async (req, res) => {
    const body = parseBody(req, CreateApprovalSchema);
    const p = principalOf(req);
    const approvalId = randomUUID();
    const handle = await deps.temporal.workflow.start<ApprovalWorkflow>(APPROVAL_WORKFLOW, {
      taskQueue: deps.taskQueue,
      workflowId: approvalWorkflowId(approvalId),
      args: [
        {
          approvalId,
          orgId: p.orgId,
          subjectType: body.subjectType,
          subjectId: body.subjectId,
          requestedBy: p.userId,
          approverRoles: body.approverRoles,
          context: body.context,
          expiresInMs: body.expiresIn * 1000,
        },
      ],
      typedSearchAttributes: [
        { key: OrgIdKey, value: p.orgId },
        { key: StatusKey, value: 'pending' },
      ],
    });
    // The row is written by the workflow's first activity; wait for it so the answer is the real record.
    const row = await pollUntil(() => approvals.get(p.orgId, approvalId).catch(() => undefined), (r) => r !== undefined, 10_000);
    if (row) return void res.status(201).json(approvalView(row));
    res.status(202).json({ id: approvalId, status: 'pending', workflowId: handle.workflowId, links: { self: `/v1/approvals/${approvalId}` } });
  });

  for (const decision of ['approve', 'deny'] as const) {
    router.post(`/v1/approvals/:id/${decision}`, async (req, res) => {
      const id = parseParam(req, 'id', z.uuid(), 'approval');
      const { comment } = parseBody(req, DecisionSchema);
      const p = principalOf(req);
      const row = await approvals.get(p.orgId, id);
      // The update returns once recordDecision committed the row, so its result is the answer.
      const state = await decisions.decide(row, p, decision, comment, 'api');
      res.json(approvalView({ ...row, status: state.status, decided_by: state.decidedBy, comment: state.comment, decided_at: state.decidedAt ? new Date(state.decidedAt) : row.decided_at }));
    });
  }

  // A token for deciding through Temporal itself (CLI, UI): the caller's own, for one decision, 5 minutes.
  router.post('/v1/approvals/:id/decision-token', async (req, res) => {
    const id = parseParam(req, 'id', z.uuid(), 'approval');
    const { decision } = parseBody(req, TokenRequestSchema);
    const p = principalOf(req);
    const row = await approvals.get(p.orgId, id);
    const signed = await decisions.token(row, p, decision, 'temporal');
    await decisions.ensureKey(row, signed.kid);
    res.status(201).json({
      approvalId: row.id,
      workflowId: row.workflow_id,
      decision,
      token: signed.token,
      kid: signed.kid,
      jti: signed.jti,
      expiresAt: signed.expiresAt.toISOString(),
      update: { name: 'decide', input: { decision, token: signed.token } },
    });
  });

  return router;
}
