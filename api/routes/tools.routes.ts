import { Router } from 'express';
import { AuditRepository } from '../../core/db/audit.repository.js';
import { z } from 'zod';
import type { Db } from '../../core/db/knex.js';
import { ToolCatalogRepository } from '../../core/db/tool-catalog.repository.js';
import { notFound } from '../../core/errors.js';
import { principalOf, requireRole } from '../middleware/auth.js';
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

/** The tool catalog: GET /v1/tools searches every tool of the org's servers; admins label tools. */
export function toolRoutes(db: Db): Router {
  const router = Router();
  const catalog = new ToolCatalogRepository(db);

  router.get('/v1/tools', async (req, res) => {
    const q = parseQuery(req, SearchQuery);
    res.json({ data: (await catalog.search(principalOf(req).orgId, q)).map(entryView) });
  });

  router.patch('/v1/mcp-servers/:id/tools/:name', requireRole('admin', 'developer'), async (req, res) => {
    const serverId = parseParam(req, 'id', z.uuid(), 'MCP server');
    const name = parseParam(req, 'name', z.string().min(1).max(200), 'tool');
    const body = parseBody(req, ConfigureToolSchema);
    const p = principalOf(req);
    const orgId = p.orgId;
    await db.transaction(async (trx) => {
      await new ToolCatalogRepository(trx).configure(orgId, serverId, name, body);
      await new AuditRepository(trx).record({ org_id: orgId, actor: `user:${p.userId}`, action: 'mcp_server.tool_labeled', subject_type: 'mcp_server', subject_id: serverId, request_id: req.id, data: { tool: name, ...body } }, trx);
    });
    // The one tool by name: a page of the server's tools would miss any past its end.
    const [entry] = await catalog.search(orgId, { server: serverId, name, limit: 1 });
    if (!entry) throw notFound('tool', name);
    res.json(entryView(entry));
  });

  return router;
}
