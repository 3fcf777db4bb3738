import { Router } from 'express';
import { z } from 'zod';
import { McpServerRepository } from '../../core/db/mcp-server.repository.js';
import type { Db } from '../../core/db/knex.js';
import type { McpClientPool } from '../../core/mcp/client-pool.js';
import { AuditRepository } from '../../core/db/audit.repository.js';
import { principalOf, requireRole } from '../middleware/auth.js';
import { parseBody, parseParam } from '../middleware/validate.js';
import { serverView } from '../views.js';

export const ResourceName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, 'letters, digits, _ and -, at most 63, starting with a letter or digit');
const StringMap = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'a variable or header name'), z.string().max(8192));

export const CreateMcpServerSchema = z.discriminatedUnion('transport', [
  z.strictObject({ name: ResourceName, transport: z.literal('stdio'), command: z.string().min(1).max(1024), args: z.array(z.string().max(4096)).max(100).default([]), env: StringMap.default({}) }),
  z.strictObject({ name: ResourceName, transport: z.literal('http'), url: z.url({ protocol: /^https?$/ }), headers: StringMap.default({}) }),
]);
export type CreateMcpServer = z.infer<typeof CreateMcpServerSchema>;

/** /v1/mcp-servers: register, list, show and remove the MCP servers an org's agents use. */
export function mcpServerRoutes(db: Db, mcp: McpClientPool): Router {
  const router = Router();
  const servers = new McpServerRepository(db);
  const audit = new AuditRepository(db);

  router.post('/v1/mcp-servers', requireRole('admin', 'developer'), async (req, res) => {
    const body = parseBody(req, CreateMcpServerSchema);
    const p = principalOf(req);
    const row = await servers.create({
      org_id: p.orgId,
      name: body.name,
      transport: body.transport,
      command: body.transport === 'stdio' ? body.command : null,
      args: body.transport === 'stdio' ? body.args : [],
      env: body.transport === 'stdio' ? body.env : {},
      url: body.transport === 'http' ? body.url : null,
      headers: body.transport === 'http' ? body.headers : {},
    });
    await audit.record({ org_id: p.orgId, actor: `user:${p.userId}`, action: 'mcp_server.created', subject_type: 'mcp_server', subject_id: row.id, request_id: req.id, data: { name: row.name, transport: row.transport } });
    res.status(201).json(serverView(row));
  });

  router.get('/v1/mcp-servers', async (req, res) => {
    res.json({ data: (await servers.list(principalOf(req).orgId)).map(serverView) });
  });

  router.get('/v1/mcp-servers/:id', async (req, res) => {
    const id = parseParam(req, 'id', z.uuid(), 'MCP server');
    res.json(serverView(await servers.get(principalOf(req).orgId, id)));
  });

  router.delete('/v1/mcp-servers/:id', requireRole('admin', 'developer'), async (req, res) => {
    const id = parseParam(req, 'id', z.uuid(), 'MCP server');
    const p = principalOf(req);
    await servers.delete(p.orgId, id);
    await mcp.close(id);
    await audit.record({ org_id: p.orgId, actor: `user:${p.userId}`, action: 'mcp_server.deleted', subject_type: 'mcp_server', subject_id: id, request_id: req.id });
    res.status(204).end();
  });

  return router;
}
