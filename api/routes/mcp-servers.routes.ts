import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { McpCatalogRepository } from '../../core/db/mcp-catalog.repository.js';
import { McpServerRepository } from '../../core/db/mcp-server.repository.js';
import type { Db } from '../../core/db/knex.js';
import type { McpClientPool } from '../../core/mcp/client-pool.js';
import type { McpServerRow } from '../../core/db/rows.js';
import type { mcpServerWorkflow } from '../../workflows/index.js';
import { mcpServerWorkflowId, stopSignal } from '../../workflows/mcp-server.messages.js';
import { OrgIdKey, StatusKey } from '../../workflows/search-attributes.js';
import { AuditRepository } from '../../core/db/audit.repository.js';
import { principalOf, requireRole } from '../middleware/auth.js';
import { parseBody, parseParam, parseQuery } from '../middleware/validate.js';
import { serverView } from '../views.js';

export const ResourceName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, 'letters, digits, _ and -, at most 63, starting with a letter or digit');
const StringMap = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'a variable or header name'), z.string().max(8192));

export const McpServerLimitsSchema = z.strictObject({
  timeoutMs: z.number().int().min(100).max(15 * 60_000).optional(),
  maxConcurrency: z.number().int().min(1).max(1000).optional(),
  ratePerSecond: z.number().positive().max(10_000).optional(),
  orgRatePerSecond: z.number().positive().max(10_000).optional(),
  breakerThreshold: z.number().int().min(1).max(1000).optional(),
  breakerCooldownMs: z.number().int().min(100).max(3_600_000).optional(),
  maxResultBytes: z.number().int().min(1024).max(64 * 1024 * 1024).optional(),
});
const Common = {
  name: ResourceName,
  securityLevel: z.enum(['low', 'medium', 'high', 'critical']).default('medium'),
  limits: McpServerLimitsSchema.default({}),
};
export const CreateMcpServerSchema = z.discriminatedUnion('transport', [
  z.strictObject({
    ...Common,
    transport: z.literal('stdio'),
    command: z.string().min(1).max(1024),
    args: z.array(z.string().max(4096)).max(100).default([]),
    env: StringMap.default({}),
    /** false: run in an OS sandbox without network access. */
    network: z.boolean().default(true),
  }),
  z.strictObject({ ...Common, transport: z.literal('http'), url: z.url({ protocol: /^https?$/ }), headers: StringMap.default({}) }),
]);
export type CreateMcpServer = z.infer<typeof CreateMcpServerSchema>;

export interface McpServerRouteDeps {
  db: Db;
  mcp: McpClientPool;
  temporal: Client;
  taskQueue: string;
  healthIntervalMs: number;
}

const WaitQuery = z.object({ wait: z.coerce.number().int().min(0).max(60).default(0) });

/** /v1/mcp-servers: register (starting its lifecycle workflow), list, show and remove MCP servers. */
export function mcpServerRoutes(deps: McpServerRouteDeps): Router {
  const { db, mcp } = deps;
  const router = Router();
  const servers = new McpServerRepository(db);
  const catalog = new McpCatalogRepository(db);
  const audit = new AuditRepository(db);

  /** Starts the server's lifecycle workflow; with `wait`, holds the answer until the first probe is done. */
  async function startLifecycle(row: McpServerRow, waitSeconds: number): Promise<McpServerRow> {
    const workflowId = mcpServerWorkflowId(row.id);
    await deps.temporal.workflow.start<typeof mcpServerWorkflow>('mcpServerWorkflow', {
      taskQueue: deps.taskQueue,
      workflowId,
      args: [{ serverId: row.id, orgId: row.org_id, healthIntervalMs: deps.healthIntervalMs }],
      typedSearchAttributes: [
        { key: OrgIdKey, value: row.org_id },
        { key: StatusKey, value: 'starting' },
      ],
    });
    await servers.setWorkflowId(row.id, workflowId);
    const deadline = Date.now() + waitSeconds * 1000;
    let fresh = await servers.get(row.org_id, row.id);
    while (fresh.status === 'starting' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      fresh = await servers.get(row.org_id, row.id);
    }
    return fresh;
  }

  router.post('/v1/mcp-servers', requireRole('admin', 'developer'), async (req, res) => {
    const body = parseBody(req, CreateMcpServerSchema);
    const { wait } = parseQuery(req, WaitQuery);
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
      security_level: body.securityLevel,
      limits: body.limits,
      network: body.transport === 'stdio' ? body.network : true,
    });
    await audit.record({ org_id: p.orgId, actor: `user:${p.userId}`, action: 'mcp_server.created', subject_type: 'mcp_server', subject_id: row.id, request_id: req.id, data: { name: row.name, transport: row.transport } });
    res.status(201).json(serverView(await startLifecycle(row, wait)));
  });

  router.get('/v1/mcp-servers', async (req, res) => {
    res.json({ data: (await servers.list(principalOf(req).orgId)).map(serverView) });
  });

  router.get('/v1/mcp-servers/:id', async (req, res) => {
    const id = parseParam(req, 'id', z.uuid(), 'MCP server');
    const row = await servers.get(principalOf(req).orgId, id);
    const events = await catalog.recentStatusEvents(id);
    res.json({ ...serverView(row), statusHistory: events.map((e) => ({ status: e.status, reason: e.reason, at: new Date(e.at).toISOString() })) });
  });

  router.delete('/v1/mcp-servers/:id', requireRole('admin', 'developer'), async (req, res) => {
    const id = parseParam(req, 'id', z.uuid(), 'MCP server');
    const p = principalOf(req);
    const row = await servers.get(p.orgId, id);
    await servers.assertUnused(id);
    // Stop the lifecycle first (it closes the worker's connections), then forget the server.
    if (row.workflow_id) {
      await deps.temporal.workflow
        .getHandle(row.workflow_id)
        .signal(stopSignal)
        .catch((err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError) && !/already completed/i.test(String((err as Error).message))) throw err;
        });
    }
    await servers.delete(p.orgId, id);
    await mcp.close(id);
    await audit.record({ org_id: p.orgId, actor: `user:${p.userId}`, action: 'mcp_server.deleted', subject_type: 'mcp_server', subject_id: id, request_id: req.id });
    res.status(204).end();
  });

  return router;
}
