import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { AgentRepository, type AgentWithCapabilities } from '../../core/db/agent.repository.js';
import type { Db } from '../../core/db/knex.js';
import type { IdentityService } from '../../core/identity/identity.service.js';
import type { InvocationService } from '../../core/invocations/invocation.service.js';
import { principalOf, requireAuth } from '../middleware/auth.js';
import { sendError } from '../middleware/errors.js';
import { parseParam } from '../middleware/validate.js';
import { InFlightCalls } from './in-flight.js';
import { assertMcpParams } from './mcp-params.js';
import { createEndpointServer } from './endpoint-server.js';
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
}

const DEFAULT_APPROVAL_WAIT_MS = 30_000;

/**
 * Agents over MCP: POST /mcp/:agentId serves one agent's capabilities as tools, POST /mcp every agent's of
 * the caller's org. Stateless Streamable HTTP (a server and transport per request), bearer API keys.
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
  const guard = [originCheck(deps.allowedOrigins ?? []), requireAuth(deps.identity)];

  async function serve(req: Request, res: Response, agent?: AgentWithCapabilities) {
    assertMcpParams(req.body);
    // The SDK's stateless transport does not abort a handler when its caller goes away or cancels; this
    // signal does: on a closed connection, or a notifications/cancelled naming the call.
    const p = principalOf(req);
    inFlight.cancel(p.keyId, req.body);
    const disconnect = new AbortController();
    const forget = inFlight.track(p.keyId, req.body, disconnect);
    const server = createEndpointServer(serverDeps, {
      principal: p,
      log: req.log,
      agent,
      disconnected: disconnect.signal,
    });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      if (!res.writableFinished) disconnect.abort();
      forget();
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  }

  router.post('/mcp', ...guard, (req, res) => serve(req, res));
  router.post('/mcp/:agentId', ...guard, async (req, res) => {
    const agentId = parseParam(req, 'agentId', z.uuid(), 'agent');
    await serve(req, res, await agents.get(principalOf(req).orgId, agentId));
  });
  // Stateless: no session to resume (GET) or end (DELETE).
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
