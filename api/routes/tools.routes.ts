import { Router } from 'express';
import { z } from 'zod';
import type { ToolCatalogService } from '../../core/mcp-servers/tool-catalog.service.js';
import type { ToolSuggestionService } from '../../core/tools/tool-suggestion.service.js';
import { actorOf, principalOf, requireRole } from '../middleware/auth.js';
import { parseBody, parseParam, parseQuery } from '../middleware/validate.js';
import { entryView } from '../views/tool.view.js';

const SearchQuery = z.strictObject({
  query: z.string().max(200).optional(),
  server: z.string().max(100).optional(),
  category: z.string().max(50).optional(),
  tag: z.string().max(50).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const Label = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,49}$/, 'lower-case letters, digits, _ and -');
export const ConfigureToolSchema = z
  .strictObject({ category: Label.nullable().optional(), tags: z.array(Label).max(20).optional() })
  .refine((v) => v.category !== undefined || v.tags !== undefined, 'category or tags');

export const SuggestToolsSchema = z.strictObject({
  task: z.string().trim().min(3).max(4000),
  limit: z.number().int().min(1).max(50).default(10),
});

/**
 * The tool catalog: GET /v1/tools searches every tool of the org's servers; admins label tools;
 * POST /v1/tools/suggest ranks them (and the integrations the org could add) for a task.
 */
export function toolRoutes(tools: ToolCatalogService, suggestions: ToolSuggestionService): Router {
  const router = Router();

  router.get('/v1/tools', async (req, res) => {
    const q = parseQuery(req, SearchQuery);
    res.json({ data: (await tools.search(principalOf(req).orgId, q)).map(entryView) });
  });

  router.post('/v1/tools/suggest', async (req, res) => {
    const body = parseBody(req, SuggestToolsSchema);
    res.json(await suggestions.suggest(principalOf(req).orgId, body));
  });

  router.patch('/v1/mcp-servers/:id/tools/:name', requireRole('admin', 'developer'), async (req, res) => {
    const serverId = parseParam(req, 'id', z.uuid(), 'MCP server');
    const name = parseParam(req, 'name', z.string().min(1).max(200), 'tool');
    const body = parseBody(req, ConfigureToolSchema);
    res.json(entryView(await tools.label(actorOf(req), serverId, name, body)));
  });

  return router;
}
