import { Router } from 'express';
import { McpServersFileSchema } from '../../core/mcp-servers/mcp-servers-file.js';
import type { McpServerService } from '../../core/mcp-servers/mcp-server.service.js';
import { actorOf, principalOf, requireRole } from '../middleware/auth.js';
import { parseBody, parseQuery } from '../middleware/validate.js';
import { mcpServersFileView, serverView } from '../views/mcp-server.view.js';
import { WaitQuery } from './mcp-servers.routes.js';

/** Import and export of the common `{"mcpServers": {...}}` configuration (command/args/env and url forms). */
export function mcpServerImportRoutes(servers: McpServerService): Router {
  const router = Router();

  router.post('/v1/mcp-servers/import', requireRole('admin', 'developer'), async (req, res) => {
    const file = parseBody(req, McpServersFileSchema);
    const { wait } = parseQuery(req, WaitQuery);
    const { created, skipped, errors } = await servers.importFile(actorOf(req), file, wait);
    res.status(errors.length > 0 ? 207 : 201).json({ created: created.map(serverView), skipped, errors });
  });

  router.get('/v1/mcp-servers/export', async (req, res) => {
    res.json(mcpServersFileView(await servers.list(principalOf(req).orgId)));
  });

  return router;
}
