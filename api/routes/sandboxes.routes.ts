import { Router } from 'express';
import { z } from 'zod';
import { SANDBOX_STATUSES } from '../../contracts/sandbox.contract.js';
import { CreateSandboxSchema, type SandboxService } from '../../core/sandboxes/sandbox.service.js';
import { actorOf, principalOf, requireRole } from '../middleware/auth.js';
import { parseBody, parseParam, parseQuery } from '../middleware/validate.js';
import { sandboxView } from '../views/sandbox.view.js';

const ListQuery = z.strictObject({
  agentId: z.uuid().optional(),
  status: z.enum(SANDBOX_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

/**
 * Sandboxes: POST /v1/agents/:agentId/sandboxes makes one (201, provisioning or pending_approval), GET
 * lists and shows them, POST …/:id/reset puts one back in its initial state, DELETE stops it.
 */
export function sandboxRoutes(sandboxes: SandboxService): Router {
  const router = Router();

  router.post('/v1/agents/:agentId/sandboxes', requireRole('admin', 'developer'), async (req, res) => {
    const agentId = parseParam(req, 'agentId', z.uuid(), 'agent');
    const body = parseBody(req, CreateSandboxSchema);
    res.status(201).json(sandboxView(await sandboxes.create(actorOf(req), agentId, body, req.log)));
  });

  router.get('/v1/agents/:agentId/sandboxes', async (req, res) => {
    const agentId = parseParam(req, 'agentId', z.uuid(), 'agent');
    const q = parseQuery(req, ListQuery.omit({ agentId: true }));
    const page = await sandboxes.list(principalOf(req).orgId, { ...q, agentId });
    res.json({ data: page.data.map(sandboxView), nextCursor: page.nextCursor });
  });

  router.get('/v1/sandboxes', async (req, res) => {
    const page = await sandboxes.list(principalOf(req).orgId, parseQuery(req, ListQuery));
    res.json({ data: page.data.map(sandboxView), nextCursor: page.nextCursor });
  });

  router.get('/v1/sandboxes/:id', async (req, res) => {
    const id = parseParam(req, 'id', z.uuid(), 'sandbox');
    res.json(sandboxView(await sandboxes.get(principalOf(req).orgId, id)));
  });

  router.post('/v1/sandboxes/:id/reset', requireRole('admin', 'developer'), async (req, res) => {
    const id = parseParam(req, 'id', z.uuid(), 'sandbox');
    res.json(sandboxView(await sandboxes.reset(actorOf(req), id)));
  });

  router.delete('/v1/sandboxes/:id', requireRole('admin', 'developer'), async (req, res) => {
    const id = parseParam(req, 'id', z.uuid(), 'sandbox');
    res.status(202).json(sandboxView(await sandboxes.stop(actorOf(req), id)));
  });

  return router;
}
