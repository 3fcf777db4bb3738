import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { ApprovalRepository } from '../../core/db/approval.repository.js';
import type { Db } from '../../core/db/knex.js';
import { approvalWorkflowId, decideUpdate, type DecideInput } from '../../workflows/approval.messages.js';
import type { approvalWorkflow } from '../../workflows/index.js';
import { OrgIdKey, StatusKey } from '../../workflows/search-attributes.js';
import { principalOf, requireRole } from '../middleware/auth.js';
import { parseBody, parseParam, parseQuery } from '../middleware/validate.js';
import { decisionError } from '../temporal-errors.js';
import { pollUntil } from '../poll.js';
import { approvalView } from '../views.js';

const DecisionSchema = z.strictObject({ comment: z.string().max(2000).optional() });
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
  status: z.enum(['pending', 'approved', 'denied', 'expired', 'cancelled']).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

/** /v1/approvals: pending decisions, approve/deny (Temporal updates), and standalone approvals. */
export function approvalRoutes(deps: { db: Db; temporal: Client; taskQueue: string }): Router {
  const router = Router();
  const approvals = new ApprovalRepository(deps.db);

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
    const handle = await deps.temporal.workflow.start<typeof approvalWorkflow>('approvalWorkflow', {
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
      const input: DecideInput = { decision, approver: { userId: p.userId, orgId: p.orgId, role: p.role }, ...(comment !== undefined ? { comment } : {}) };
      // The row can be visible a moment before its workflow has started; give that window a few tries.
      for (let attempt = 0; ; attempt++) {
        try {
          await deps.temporal.workflow.getHandle(row.workflow_id).executeUpdate(decideUpdate, { args: [input] });
          break;
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError) || attempt >= 30 || (await approvals.get(p.orgId, id)).status !== 'pending') throw decisionError(err);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      // The update returned once the decision was taken; the row follows a moment later.
      res.json(approvalView(await pollUntil(() => approvals.get(p.orgId, id), (r) => r.status !== 'pending', 5000)));
    });
  }

  return router;
}
