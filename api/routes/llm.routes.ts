import { Router } from 'express';
import { z } from 'zod';
import { CreateLlmProviderSchema, UpdateLlmProviderSchema } from '../../core/llm/llm-provider-schemas.js';
import type { LlmProviderService } from '../../core/llm/llm-provider.service.js';
import { actorOf, principalOf, requireRole } from '../middleware/auth.js';
import { parseBody, parseParam, parseQuery } from '../middleware/validate.js';
import { llmCacheStatsView, llmCallPageView, llmHealthView, llmProviderView } from '../views/llm.view.js';

const ProviderId = z.uuid();
const CallsQuery = z.strictObject({
  purpose: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});
const readers = requireRole('admin', 'developer', 'viewer');

/** /v1/llm: the org's LLM providers (admins manage them), their health, the call records and the response cache. */
export function llmRoutes(llm: LlmProviderService): Router {
  const router = Router();

  router.post('/v1/llm/providers', requireRole('admin'), async (req, res) => {
    const body = parseBody(req, CreateLlmProviderSchema);
    res.status(201).json(llmProviderView(await llm.create(actorOf(req), body)));
  });

  router.get('/v1/llm/providers', readers, async (req, res) => {
    res.json({ data: (await llm.list(principalOf(req).orgId)).map(llmProviderView) });
  });

  router.get('/v1/llm/providers/:id', readers, async (req, res) => {
    const id = parseParam(req, 'id', ProviderId, 'LLM provider');
    res.json(llmProviderView(await llm.get(principalOf(req).orgId, id)));
  });

  router.patch('/v1/llm/providers/:id', requireRole('admin'), async (req, res) => {
    const id = parseParam(req, 'id', ProviderId, 'LLM provider');
    const body = parseBody(req, UpdateLlmProviderSchema);
    res.json(llmProviderView(await llm.update(actorOf(req), id, body)));
  });

  router.delete('/v1/llm/providers/:id', requireRole('admin'), async (req, res) => {
    const id = parseParam(req, 'id', ProviderId, 'LLM provider');
    await llm.remove(actorOf(req), id);
    res.status(204).end();
  });

  // A real call to the provider: admins and developers (it spends tokens); the last result is on the provider.
  router.get('/v1/llm/providers/:id/health', requireRole('admin', 'developer'), async (req, res) => {
    const { orgId } = principalOf(req);
    const id = parseParam(req, 'id', ProviderId, 'LLM provider');
    const health = await llm.health(orgId, id);
    res.json(llmHealthView(await llm.get(orgId, id), health));
  });

  router.get('/v1/llm/calls', readers, async (req, res) => {
    const q = parseQuery(req, CallsQuery);
    res.json(llmCallPageView(await llm.calls(principalOf(req).orgId, q)));
  });

  router.get('/v1/llm/cache/stats', readers, async (req, res) => {
    res.json(llmCacheStatsView(await llm.cacheStats(principalOf(req).orgId)));
  });

  router.post('/v1/llm/cache/clear', requireRole('admin'), async (req, res) => {
    res.json({ removed: await llm.clearCache(actorOf(req)) });
  });

  return router;
}
