import { Router, type Request } from 'express';
import { z } from 'zod';
import type { AgentService } from '../../core/agents/agent.service.js';
import type { AgentWithCapabilities } from '../../core/db/agent.repository.js';
import { ResourceName } from '../../core/resource-name.js';
import { SEVERITIES } from '../../core/severity.js';
import { actorOf, principalOf, requireRole } from '../middleware/auth.js';
import { parseBody, parseParam } from '../middleware/validate.js';
import { agentView } from '../views/agent.view.js';

const CapabilitySchema = z.strictObject({
  name: ResourceName,
  server: z.string().min(1).max(100),
  tool: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  risk: z.enum(SEVERITIES).optional(),
});
export const CreateAgentSchema = z.strictObject({
  name: ResourceName,
  description: z.string().max(2000).optional(),
  capabilities: z.array(CapabilitySchema).max(200).default([]),
});
export type CreateAgent = z.infer<typeof CreateAgentSchema>;
export const UpdateAgentSchema = CreateAgentSchema.partial().refine(
  (v) => Object.keys(v).length > 0,
  'at least one field to change',
);

/** /v1/agents: agents and their capabilities, each bound to a tool its MCP server really serves. */
export function agentRoutes(service: AgentService): Router {
  const router = Router();

  async function view(req: Request, agents: AgentWithCapabilities[]) {
    const names = await service.serverNames(principalOf(req).orgId);
    return agents.map((a) => agentView(a, names));
  }

  router.post('/v1/agents', requireRole('admin', 'developer'), async (req, res) => {
    const body = parseBody(req, CreateAgentSchema);
    const agent = await service.create(actorOf(req), body);
    res.status(201).json((await view(req, [agent]))[0]);
  });

  router.get('/v1/agents', async (req, res) => {
    res.json({ data: await view(req, await service.agents.list(principalOf(req).orgId)) });
  });

  router.get('/v1/agents/:agentId', async (req, res) => {
    const id = parseParam(req, 'agentId', z.uuid(), 'agent');
    res.json((await view(req, [await service.agents.get(principalOf(req).orgId, id)]))[0]);
  });

  router.patch('/v1/agents/:agentId', requireRole('admin', 'developer'), async (req, res) => {
    const id = parseParam(req, 'agentId', z.uuid(), 'agent');
    const body = parseBody(req, UpdateAgentSchema);
    res.json((await view(req, [await service.update(actorOf(req), id, body)]))[0]);
  });

  // An admin accepts the definition the server now serves for a capability whose pin broke.
  router.post('/v1/agents/:agentId/capabilities/:name/repin', requireRole('admin'), async (req, res) => {
    const id = parseParam(req, 'agentId', z.uuid(), 'agent');
    const name = parseParam(req, 'name', ResourceName, 'capability');
    const { previous, pinned, definition } = await service.repin(actorOf(req), id, name);
    res.json({ capability: name, previousHash: previous, pinnedHash: pinned, definition });
  });

  router.delete('/v1/agents/:agentId', requireRole('admin', 'developer'), async (req, res) => {
    const id = parseParam(req, 'agentId', z.uuid(), 'agent');
    await service.delete(actorOf(req), id);
    res.status(204).end();
  });

  return router;
}
