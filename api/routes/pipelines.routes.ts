import { Router } from 'express';
import { z } from 'zod';
import { PIPELINE_STATUSES } from '../../contracts/pipeline.contract.js';
import type { PipelineService } from '../../core/pipelines/pipeline.service.js';
import { CreatePipelineSchema } from '../../core/pipelines/pipeline.schemas.js';
import { actorOf, principalOf, requireRole } from '../middleware/auth.js';
import { parseBody, parseParam, parseQuery } from '../middleware/validate.js';
import { artifactContentView, pipelineView } from '../views/pipeline.view.js';

const ListQuery = z.strictObject({
  agentId: z.uuid().optional(),
  status: z.enum(PIPELINE_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});
const Empty = z.strictObject({});
// The roles policy lets invoke capabilities (policies/data.json can_invoke): a pipeline's steps are invocations.
const INVOKERS = ['admin', 'developer', 'approver'] as const;

/** /v1/pipelines: plan → architect → code → approval → deploy → notify runs, their stages, artifacts and invocations. */
export function pipelineRoutes(pipelines: PipelineService): Router {
  const router = Router();

  router.post('/v1/pipelines', requireRole(...INVOKERS), async (req, res) => {
    const body = parseBody(req, CreatePipelineSchema);
    res.status(202).json(pipelineView(await pipelines.create(actorOf(req), body)));
  });

  router.get('/v1/pipelines', async (req, res) => {
    const q = parseQuery(req, ListQuery);
    const page = await pipelines.list(principalOf(req).orgId, q);
    res.json({ data: page.data.map((p) => pipelineView(p)), nextCursor: page.nextCursor });
  });

  router.get('/v1/pipelines/:id', async (req, res) => {
    const id = parseParam(req, 'id', z.uuid(), 'pipeline');
    const { row, artifacts, invocations } = await pipelines.get(principalOf(req).orgId, id);
    res.json(pipelineView(row, { artifacts, invocations }));
  });

  router.get('/v1/pipelines/:id/artifacts/:artifactId', async (req, res) => {
    const id = parseParam(req, 'id', z.uuid(), 'pipeline');
    const artifactId = parseParam(req, 'artifactId', z.uuid(), 'artifact');
    res.json(artifactContentView(await pipelines.artifact(principalOf(req).orgId, id, artifactId)));
  });

  router.post('/v1/pipelines/:id/cancel', requireRole(...INVOKERS), async (req, res) => {
    const id = parseParam(req, 'id', z.uuid(), 'pipeline');
    parseBody(req, Empty);
    res.json(pipelineView(await pipelines.cancel(actorOf(req), id)));
  });

  router.post('/v1/pipelines/:id/retry', requireRole(...INVOKERS), async (req, res) => {
    const id = parseParam(req, 'id', z.uuid(), 'pipeline');
    parseBody(req, Empty);
    res.status(202).json(pipelineView(await pipelines.retry(actorOf(req), id)));
  });

  return router;
}
