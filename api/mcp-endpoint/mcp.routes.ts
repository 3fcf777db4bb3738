import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, type AuthInfo } from '@modelcontextprotocol/server';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { AgentRepository, type AgentWithCapabilities } from '../../core/db/agent.repository.js';
import type { Db } from '../../core/db/knex.js';
import type { IdentityService } from '../../core/identity/identity.service.js';
import type { InvocationService } from '../../core/invocations/invocation.service.js';
import type { Logger } from '../../core/log.js';
import { principalOf, requireAuth } from '../middleware/auth.js';
import { sendError } from '../middleware/errors.js';
import { parseParam, parseQuery } from '../middleware/validate.js';
import { createEndpointServer, type McpScope } from './endpoint-server.js';
import { InFlightCalls } from './in-flight.js';
import { assertMcpParams } from './mcp-params.js';
import { originCheck } from './origin.js';

export interface McpEndpointOptions {
  /** Browser Origins that may call /mcp (MCP_ALLOWED_ORIGINS). */
  allowedOrigins: string[];
  /** How long a tools/call waits for its invocation, e.g. for an approval (MCP_APPROVAL_WAIT_MS). */
  approvalWaitMs: number;
}

export interface McpRouteDeps extends Partial<McpEndpointOptions> {
  db: Db;
  identity: IdentityService;
  invocations: InvocationService;
  /** Where the SDK's own reports go (requests it rejected, failures outside a handler). */
  logger?: Logger;
}

const DEFAULT_APPROVAL_WAIT_MS = 30_000;
const SandboxQuery = z.object({ sandbox: z.uuid().optional() });

/**
 * Agents over MCP: POST /mcp/:agentId serves one agent's capabilities as tools, POST /mcp every agent's of
 * the caller's org. Bearer API keys. One MCP SDK v2 handler serves both protocol eras from one factory,
 * statelessly (a server per request): 2026-07-28 requests (the per-request `_meta` envelope; the SDK checks
 * their MCP-Protocol-Version, Mcp-Method and Mcp-Name headers against the body, -32020 on a mismatch,
 * before a server exists) and 2025-era ones (initialize, then Streamable HTTP without a session).
 */
export function mcpRoutes(deps: McpRouteDeps): Router {
  const router = Router();
  const agents = new AgentRepository(deps.db);
  const serverDeps = {
    agents,
    invocations: deps.invocations,
    approvalWaitMs: deps.approvalWaitMs ?? DEFAULT_APPROVAL_WAIT_MS,
  };
  const inFlight = new InFlightCalls();
  // The SDK hands the factory the request's AuthInfo as it was given: the scope rides along with it.
  const scopes = new WeakMap<AuthInfo, McpScope>();
  const handler = createMcpHandler(
    ({ era, authInfo }) => {
      const scope = authInfo && scopes.get(authInfo);
      if (!scope) throw new Error('an /mcp request reached the MCP handler without its scope');
      return createEndpointServer(serverDeps, scope, era);
    },
    { legacy: 'stateless', onerror: (err) => deps.logger?.debug({ err }, 'mcp sdk report') },
  );
  const mcp = toNodeHandler(handler, {
    onerror: (err) => deps.logger?.error({ err }, 'mcp sdk failed to serve a request'),
  });
  const guard = [originCheck(deps.allowedOrigins ?? []), requireAuth(deps.identity)];

  async function serve(req: Request, res: Response, agent?: AgentWithCapabilities, sandboxId?: string) {
    assertMcpParams(req.body);
    // A 2025-era caller's notifications/cancelled is a POST of its own, served by another server instance,
    // and its disconnect aborts no handler on the stateless leg: this signal does, for either.
    const p = principalOf(req);
    inFlight.cancel(p.keyId, req.body);
    const disconnect = new AbortController();
    const forget = inFlight.track(p.keyId, req.body, disconnect);
    res.on('close', () => {
      if (!res.writableFinished) disconnect.abort();
      forget();
    });
    // The key itself stays in requireAuth: its id stands for it.
    const auth: AuthInfo = { token: p.keyId, clientId: p.userId, scopes: [p.role], extra: { orgId: p.orgId } };
    scopes.set(auth, { principal: p, log: req.log, agent, sandboxId, disconnected: disconnect.signal });
    await mcp(Object.assign(req, { auth }), res, req.body);
  }

  router.post('/mcp', ...guard, (req, res) => serve(req, res));
  router.post('/mcp/:agentId', ...guard, async (req, res) => {
    const agentId = parseParam(req, 'agentId', z.uuid(), 'agent');
    // ?sandbox=ID: the agent's capabilities for that sandbox's target run against it (checked per call).
    const { sandbox } = parseQuery(req, SandboxQuery);
    await serve(req, res, await agents.get(principalOf(req).orgId, agentId), sandbox);
  });
  // Stateless: no session to resume (GET) or end (DELETE), and 2026-07-28 has neither.
  router.all(['/mcp', '/mcp/:agentId'], (req, res) => {
    res.setHeader('Allow', 'POST');
    sendError(
      res,
      405,
      'method_not_allowed',
      `${req.method} is not supported here: this MCP endpoint is stateless; POST JSON-RPC messages`,
      { method: req.method },
    );
  });
  return router;
}
