import { WorkflowNotFoundError } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { McpCatalogRepository } from '../../core/db/mcp-catalog.repository.js';
import { McpServerRepository } from '../../core/db/mcp-server.repository.js';
import { effectiveLimits } from '../../core/limits/defaults.js';
import { ExecutionLimits } from '../../core/limits/execution-limits.js';
import { stopSignal } from '../../contracts/mcp-server.contract.js';
import { AuditRepository } from '../../core/db/audit.repository.js';
import { principalOf, requireRole } from '../middleware/auth.js';
import { parseBody, parseParam, parseQuery } from '../middleware/validate.js';
import { serverView } from '../views/mcp-server.view.js';
import { CreateMcpServerSchema, McpServerRegistrar, TemplateConfigError, type CreateMcpServer, type RegistrarDeps } from '../mcp-server-registrar.js';
import { badRequest } from '../../core/errors.js';
import type { Principal } from '../../core/identity/identity.service.js';


const WaitQuery = z.object({ wait: z.coerce.number().int().min(0).max(60).default(0) });

/** /v1/mcp-servers: register (starting its lifecycle workflow), list, show and remove MCP servers. */
export function mcpServerRoutes(deps: RegistrarDeps): Router {
  const { db } = deps;
  const router = Router();
  const servers = new McpServerRepository(db);
  const catalog = new McpCatalogRepository(db);
  const audit = new AuditRepository(db);
  const executionLimits = new ExecutionLimits(db);
  const registrar = new McpServerRegistrar(deps);

  async function register(p: Principal, body: CreateMcpServer, waitSeconds: number, requestId: string) {
    try {
      return await registrar.register(p, body, { waitSeconds, requestId });
    } catch (err) {
      if (err instanceof TemplateConfigError) throw badRequest('validation_error', err.message, { issues: err.issues });
      throw err;
    }
  }

  router.post('/v1/mcp-servers', requireRole('admin', 'developer'), async (req, res) => {
    const body = parseBody(req, CreateMcpServerSchema);
    const { wait } = parseQuery(req, WaitQuery);
    res.status(201).json(serverView(await register(principalOf(req), body, wait, req.id)));
  });

  router.get('/v1/mcp-servers', async (req, res) => {
    res.json({ data: (await servers.list(principalOf(req).orgId)).map(serverView) });
  });

  router.get('/v1/mcp-servers/:id', async (req, res) => {
    const id = parseParam(req, 'id', z.uuid(), 'MCP server');
    const row = await servers.get(principalOf(req).orgId, id);
    const events = await catalog.recentStatusEvents(id);
    const breaker = await executionLimits.breakerView(row, effectiveLimits(row));
    res.json({ ...serverView(row), breaker, statusHistory: events.map((e) => ({ status: e.status, reason: e.reason, at: new Date(e.at).toISOString() })) });
  });

  router.delete('/v1/mcp-servers/:id', requireRole('admin', 'developer'), async (req, res) => {
    const id = parseParam(req, 'id', z.uuid(), 'MCP server');
    const p = principalOf(req);
    const row = await servers.delete(p.orgId, id);
    // Stop the lifecycle: the worker closes its connections (stopping a stdio process) and the workflow
    // ends (its next probe would also find the server gone and do the same, should the signal not arrive).
    if (row.workflow_id) {
      await deps.temporal.workflow
        .getHandle(row.workflow_id)
        .signal(stopSignal)
        .catch((err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError) && !/already completed/i.test(String((err as Error).message))) throw err;
        });
    }
    await audit.record({ org_id: p.orgId, actor: `user:${p.userId}`, action: 'mcp_server.deleted', subject_type: 'mcp_server', subject_id: id, request_id: req.id });
    res.status(204).end();
  });

  return router;
}
