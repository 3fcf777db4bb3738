import { Router } from 'express';
import { z } from 'zod';
import {
  RegisterTargetSchema,
  TargetName,
  type SandboxTargetService,
} from '../../core/sandboxes/targets/target.service.js';
import { actorOf, principalOf, requireRole } from '../middleware/auth.js';
import { parseBody, parseParam, parseQuery } from '../middleware/validate.js';
import { registeredTargetView, targetView } from '../views/sandbox-target.view.js';

const ShowQuery = z.strictObject({ spec: z.enum(['true', 'false']).default('false') });

/** /v1/sandbox-targets: the systems a sandbox can stand in for (shipped ones and the org's OpenAPI descriptions). */
export function sandboxTargetRoutes(targets: SandboxTargetService): Router {
  const router = Router();

  router.post('/v1/sandbox-targets', requireRole('admin', 'developer'), async (req, res) => {
    const body = parseBody(req, RegisterTargetSchema);
    res.status(201).json(registeredTargetView(await targets.register(actorOf(req), body)));
  });

  router.get('/v1/sandbox-targets', async (req, res) => {
    res.json({ data: (await targets.list(principalOf(req).orgId)).map(targetView) });
  });

  router.get('/v1/sandbox-targets/:name', async (req, res) => {
    const name = parseParam(req, 'name', TargetName, 'sandbox target');
    const { spec } = parseQuery(req, ShowQuery);
    const target = await targets.resolve(principalOf(req).orgId, name);
    res.json({ ...targetView(target), ...(spec === 'true' ? { spec: target.doc } : {}) });
  });

  router.delete('/v1/sandbox-targets/:name', requireRole('admin', 'developer'), async (req, res) => {
    const name = parseParam(req, 'name', TargetName, 'sandbox target');
    await targets.remove(principalOf(req).orgId, name);
    res.status(204).end();
  });

  return router;
}
