import { Router, type Response } from 'express';
import { z } from 'zod';
import { INVOCATION_STATUSES, isTerminalInvocation } from '../../contracts/invocation.contract.js';
import { InvocationRepository } from '../../core/db/invocation.repository.js';
import type { Db } from '../../core/db/knex.js';
import type { InvocationRow } from '../../core/db/rows.js';
import type { InvocationService } from '../../core/invocations/invocation.service.js';
import { principalOf } from '../middleware/auth.js';
import { parseBody, parseParam, parseQuery } from '../middleware/validate.js';
import { invocationView } from '../views/invocation.view.js';

export const InvokeSchema = z.strictObject({
  capability: z.string().min(1).max(100),
  input: z.record(z.string(), z.unknown()).default({}),
  /** Seconds an approval, if policy asks for one, may wait before the invocation expires (default APPROVAL_TIMEOUT_SECONDS). */
  approvalExpiresIn: z
    .number()
    .int()
    .min(1)
    .max(30 * 24 * 3600)
    .optional(),
  /** Run against this sandbox of the agent (its capabilities for the sandbox's target go there). */
  sandboxId: z.uuid().optional(),
});
export type Invoke = z.infer<typeof InvokeSchema>;

const WaitQuery = z.object({ wait: z.coerce.number().int().min(0).max(60).default(0) });
const ListQuery = z.strictObject({
  agentId: z.uuid().optional(),
  status: z.enum(INVOCATION_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

export interface InvocationRouteDeps {
  db: Db;
  invocations: InvocationService;
}

/** Invoking capabilities (POST /v1/agents/:agentId/invoke) and following invocations (/v1/invocations). */
export function invocationRoutes(deps: InvocationRouteDeps): Router {
  const router = Router();
  const invocations = new InvocationRepository(deps.db);

  async function respond(res: Response, row: InvocationRow, waitSeconds: number) {
    if (waitSeconds > 0 && !isTerminalInvocation(row.status)) {
      // The request is held until the workflow ends or the wait runs out; a closed client stops it early.
      const gone = new AbortController();
      res.once('close', () => gone.abort());
      row = await deps.invocations.waitForEnd(row, waitSeconds * 1000, gone.signal);
    }
    const approval = await invocations.approvalFor(row);
    // 200 once the invocation has ended; 202 while it is still under way.
    res.status(isTerminalInvocation(row.status) ? 200 : 202).json(invocationView(row, approval));
  }

  router.post('/v1/agents/:agentId/invoke', async (req, res) => {
    const p = principalOf(req);
    const agentId = parseParam(req, 'agentId', z.uuid(), 'agent');
    const body = parseBody(req, InvokeSchema);
    const { wait } = parseQuery(req, WaitQuery);
    const { row } = await deps.invocations.invoke(
      p,
      { agentId, ...body, idempotencyKey: req.header('idempotency-key') ?? null },
      req.log,
    );
    await respond(res, row, wait);
  });

  router.get('/v1/invocations', async (req, res) => {
    const q = parseQuery(req, ListQuery);
    const page = await invocations.list(principalOf(req).orgId, q);
    res.json({ data: page.data.map((r) => invocationView(r)), nextCursor: page.nextCursor });
  });

  router.get('/v1/invocations/:id', async (req, res) => {
    const id = parseParam(req, 'id', z.uuid(), 'invocation');
    const { wait } = parseQuery(req, WaitQuery);
    await respond(res, await invocations.get(principalOf(req).orgId, id), wait);
  });

  router.post('/v1/invocations/:id/cancel', async (req, res) => {
    const id = parseParam(req, 'id', z.uuid(), 'invocation');
    await respond(res, await deps.invocations.cancel(principalOf(req), id), 0);
  });

  return router;
}
