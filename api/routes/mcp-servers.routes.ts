import { Router } from 'express';
import { z } from 'zod';
import { CreateMcpServerSchema } from '../../core/mcp-servers/mcp-server.schemas.js';
import type { McpServerService } from '../../core/mcp-servers/mcp-server.service.js';
import { actorOf, principalOf, requireRole } from '../middleware/auth.js';
import { parseBody, parseParam, parseQuery } from '../middleware/validate.js';
import { serverDetailView, serverView } from '../views/mcp-server.view.js';

export const WaitQuery = z.object({ wait: z.coerce.number().int().min(0).max(60).default(0) });

/** /v1/mcp-servers: register (starting its lifecycle workflow), list, show and remove MCP servers. */
export function mcpServerRoutes(servers: McpServerService): Router {
  const router = Router();

  router.post('/v1/mcp-servers', requireRole('admin', 'developer'), async (req, res) => {
    const body = parseBody(req, CreateMcpServerSchema);
    const { wait } = parseQuery(req, WaitQuery);
    res.status(201).json(serverView(await servers.register(actorOf(req), body, wait)));
  });

  router.get('/v1/mcp-servers', async (req, res) => {
    res.json({ data: (await servers.list(principalOf(req).orgId)).map(serverView) });
  });

  router.get('/v1/mcp-servers/:id', async (req, res) => {
    const id = parseParam(req, 'id', z.uuid(), 'MCP server');
    res.json(serverDetailView(await servers.show(principalOf(req).orgId, id)));
  });

  router.delete('/v1/mcp-servers/:id', requireRole('admin', 'developer'), async (req, res) => {
    const id = parseParam(req, 'id', z.uuid(), 'MCP server');
    await servers.remove(actorOf(req), id);
    res.status(204).end();
  });

  return router;
}
