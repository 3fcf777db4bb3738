import { Router } from 'express';
import { z } from 'zod';
import type { ApprovalService } from '../../core/approvals/approval.service.js';
import { APPROVAL_STATUSES, DECISIONS } from '../../contracts/approval.contract.js';
import { actorOf, principalOf, requireRole } from '../middleware/auth.js';
import { parseBody, parseParam, parseQuery } from '../middleware/validate.js';
import { approvalView, decisionTokenView, pendingApprovalView } from '../views/approval.view.js';

const DecisionSchema = z.strictObject({ comment: z.string().max(2000).optional() });
const TokenRequestSchema = z.strictObject({ decision: z.enum(DECISIONS) });
export const CreateApprovalSchema = z.strictObject({
  subjectType: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'lower_snake_case, e.g. budget_override'),
  subjectId: z.string().min(1).max(200),
  context: z.record(z.string(), z.unknown()).default({}),
  /** Seconds until the approval expires (default 24 h, at most 30 days). */
  expiresIn: z
    .number()
    .int()
    .min(1)
    .max(30 * 24 * 3600)
    .default(24 * 3600),
  approverRoles: z
    .array(z.enum(['approver', 'admin']))
    .min(1)
    .default(['approver', 'admin']),
});
export type CreateApproval = z.infer<typeof CreateApprovalSchema>;
const ListQuery = z.strictObject({
  status: z.enum(APPROVAL_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

/** /v1/approvals: pending decisions, approve/deny (Temporal updates with a signed decision token), decision tokens, standalone approvals. */
export function approvalRoutes(approvals: ApprovalService): Router {
  const router = Router();

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
    const { approvalId, workflowId, row } = await approvals.create(actorOf(req), body);
    if (row) return void res.status(201).json(approvalView(row));
    res.status(202).json(pendingApprovalView(approvalId, workflowId));
  });

  for (const decision of DECISIONS) {
    router.post(`/v1/approvals/:id/${decision}`, async (req, res) => {
      const id = parseParam(req, 'id', z.uuid(), 'approval');
      const { comment } = parseBody(req, DecisionSchema);
      res.json(approvalView(await approvals.decide(actorOf(req), id, decision, comment, 'api')));
    });
  }

  // A token for deciding through Temporal itself (CLI, UI): the caller's own, for one decision, 5 minutes.
  router.post('/v1/approvals/:id/decision-token', async (req, res) => {
    const id = parseParam(req, 'id', z.uuid(), 'approval');
    const { decision } = parseBody(req, TokenRequestSchema);
    const { row, signed } = await approvals.decisionToken(actorOf(req), id, decision);
    res.status(201).json(decisionTokenView(row, decision, signed));
  });

  return router;
}
