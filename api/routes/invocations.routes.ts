import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { Router, type Response } from 'express';
import { z } from 'zod';
import { AgentRepository } from '../../core/db/agent.repository.js';
import { InvalidCursorError, InvocationRepository, TERMINAL_STATUSES } from '../../core/db/invocation.repository.js';
import type { Db } from '../../core/db/knex.js';
import type { InvocationRow } from '../../core/db/rows.js';
import { AppError, badRequest, conflict } from '../../core/errors.js';
import { assertValidToolInput, canonicalHash } from '../../core/invocations/input-validator.js';
import type { invokeCapabilityWorkflow } from '../../workflows/index.js';
import { AgentIdKey, CapabilityKey, OrgIdKey, StatusKey } from '../../workflows/search-attributes.js';
import { principalOf } from '../middleware/auth.js';
import { parseBody, parseParam, parseQuery } from '../middleware/validate.js';
import { invocationView } from '../views.js';

export const InvokeSchema = z.strictObject({
  capability: z.string().min(1).max(100),
  input: z.record(z.string(), z.unknown()).default({}),
  /** Seconds an approval, if policy asks for one, may wait before the invocation expires (default APPROVAL_TIMEOUT_SECONDS). */
  approvalExpiresIn: z.number().int().min(1).max(30 * 24 * 3600).optional(),
});
export type Invoke = z.infer<typeof InvokeSchema>;

const WaitQuery = z.object({ wait: z.coerce.number().int().min(0).max(60).default(0) });
const ListQuery = z.strictObject({
  agentId: z.uuid().optional(),
  status: z.enum(['pending_approval', 'running', 'succeeded', 'failed', 'denied', 'expired', 'cancelled']).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,200}$/;

export interface InvocationRouteDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  approvalTimeoutMs: number;
}

/** Invoking capabilities (POST /v1/agents/:agentId/invoke) and following invocations (/v1/invocations). */
export function invocationRoutes(deps: InvocationRouteDeps): Router {
  const router = Router();
  const agents = new AgentRepository(deps.db);
  const invocations = new InvocationRepository(deps.db);

  async function respond(res: Response, row: InvocationRow, waitSeconds: number) {
    if (waitSeconds > 0 && !TERMINAL_STATUSES.includes(row.status)) {
      const handle = deps.temporal.workflow.getHandle(row.workflow_id);
      let timer: NodeJS.Timeout | undefined;
      const abort = new Promise((r) => (timer = setTimeout(r, waitSeconds * 1000)));
      // The request is held until the workflow ends or the wait runs out; a closed client stops it early.
      const gone = new Promise((r) => res.once('close', r));
      await Promise.race([handle.result().catch(() => undefined), abort, gone]);
      clearTimeout(timer);
      row = await invocations.get(row.org_id, row.id);
    }
    const approval = await invocations.approvalFor(row);
    // 200 once the invocation has ended; 202 while it is still under way.
    res.status(TERMINAL_STATUSES.includes(row.status) ? 200 : 202).json(invocationView(row, approval));
  }

  router.post('/v1/agents/:agentId/invoke', async (req, res) => {
    const p = principalOf(req);
    const agentId = parseParam(req, 'agentId', z.uuid(), 'agent');
    const body = parseBody(req, InvokeSchema);
    const { wait } = parseQuery(req, WaitQuery);
    const idempotencyKey = req.header('idempotency-key') ?? null;
    if (idempotencyKey !== null && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw badRequest('invalid_idempotency_key', 'Idempotency-Key must be 1-200 characters of letters, digits, . _ : -');
    }
    const agent = await agents.get(p.orgId, agentId);
    const cap = agent.capabilities.find((c) => c.name === body.capability);
    if (!cap) throw badRequest('unknown_capability', `Agent "${agent.name}" has no capability "${body.capability}"`, { available: agent.capabilities.map((c) => c.name) });
    assertValidToolInput(cap.tool_definition.inputSchema as Record<string, unknown> | undefined, body.input);

    const invocationId = randomUUID();
    const requestHash = canonicalHash({ agentId, capability: body.capability, input: body.input, approvalExpiresIn: body.approvalExpiresIn ?? null });
    const { row, created } = await invocations.createOrGet({
      id: invocationId,
      org_id: p.orgId,
      agent_id: agentId,
      capability: body.capability,
      requested_by: p.userId,
      input: body.input,
      idempotency_key: idempotencyKey,
      request_hash: requestHash,
      workflow_id: `invoke-${p.orgId}-${idempotencyKey ?? invocationId}`,
    });
    if (!created && row.request_hash !== requestHash) {
      throw conflict('This Idempotency-Key was used for a different request', { idempotencyKey, invocationId: row.id });
    }
    // A replay starts the workflow again too: if the first request died between insert and start, this
    // completes it; otherwise Temporal rejects the duplicate id and nothing happens.
    if (!TERMINAL_STATUSES.includes(row.status)) {
      try {
        await deps.temporal.workflow.start<typeof invokeCapabilityWorkflow>('invokeCapabilityWorkflow', {
          taskQueue: deps.taskQueue,
          workflowId: row.workflow_id,
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          args: [{ invocationId: row.id, orgId: p.orgId, agentId, capability: row.capability, requestedBy: row.requested_by, approvalTimeoutMs: body.approvalExpiresIn ? body.approvalExpiresIn * 1000 : deps.approvalTimeoutMs }],
          typedSearchAttributes: [
            { key: OrgIdKey, value: p.orgId },
            { key: AgentIdKey, value: agentId },
            { key: CapabilityKey, value: row.capability },
            { key: StatusKey, value: 'running' },
          ],
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
          req.log.error({ err, invocationId: row.id }, 'could not start invocation workflow');
          throw new AppError('temporal_unavailable', 503, 'The invocation was recorded but could not be started; retry with the same Idempotency-Key', { invocationId: row.id });
        }
      }
    }
    await respond(res, row, wait);
  });

  router.get('/v1/invocations', async (req, res) => {
    const q = parseQuery(req, ListQuery);
    try {
      const page = await invocations.list(principalOf(req).orgId, q);
      res.json({ data: page.data.map((r) => invocationView(r)), nextCursor: page.nextCursor });
    } catch (err) {
      if (err instanceof InvalidCursorError) throw badRequest('invalid_cursor', err.message);
      throw err;
    }
  });

  router.get('/v1/invocations/:id', async (req, res) => {
    const id = parseParam(req, 'id', z.uuid(), 'invocation');
    const { wait } = parseQuery(req, WaitQuery);
    await respond(res, await invocations.get(principalOf(req).orgId, id), wait);
  });

  router.post('/v1/invocations/:id/cancel', async (req, res) => {
    const id = parseParam(req, 'id', z.uuid(), 'invocation');
    const row = await invocations.get(principalOf(req).orgId, id);
    if (TERMINAL_STATUSES.includes(row.status)) throw conflict(`The invocation already ended (${row.status})`, { status: row.status });
    const handle = deps.temporal.workflow.getHandle(row.workflow_id);
    await handle.cancel();
    // Give the workflow a moment to record the cancellation so the answer usually shows it.
    await Promise.race([handle.result().catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
    await respond(res, await invocations.get(row.org_id, id), 0);
  });

  return router;
}
