import {
  ProtocolError,
  ProtocolErrorCode,
  Server,
  type CallToolResult,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { AgentRepository, AgentWithCapabilities } from '../../core/db/agent.repository.js';
import type { InvocationRow } from '../../core/db/rows.js';
import { AppError, notFound } from '../../core/errors.js';
import type { Principal } from '../../core/identity/identity.service.js';
import type { InvocationService } from '../../core/invocations/invocation.service.js';
import type { Logger } from '../../core/log.js';
import { pollUntil, tickUntil } from '../../core/wait.js';
import { invocationResult, refusalResult } from './results.js';
import { capabilityTools, listedTools, STATUS_TOOL, type CapabilityTool, type Era } from './tools.js';

export interface EndpointServerDeps {
  agents: AgentRepository;
  invocations: InvocationService;
  /** How long a tools/call holds for its invocation to end before answering "pending". */
  approvalWaitMs: number;
  progressIntervalMs?: number;
}

/** Who is asking, and what they see: one agent (/mcp/:agentId) or every agent of their org (/mcp). */
export interface McpScope {
  principal: Principal;
  log: Logger;
  agent?: AgentWithCapabilities;
  /** Aborts when the caller's HTTP request closes before it was answered, or the caller cancels the call. */
  disconnected?: AbortSignal;
}

const VERSION = '0.1.0';
// How long an abandoned call may take to reach its policy decision before it is judged (a local activity: ms).
const DECISION_WAIT_MS = 10_000;
// Lists depend on the key's org (and agent): never shared across principals. No TTL: agents change at any time.
const CACHE_HINT = { ttlMs: 0, cacheScope: 'private' } as const;

/**
 * The endpoint's MCP server for one request in one era (SDK v2, low-level Server: the tools are pinned JSON
 * Schema definitions from the database, passed through as they are): the scope's capabilities as tools,
 * each tools/call a governed invocation.
 */
export function createEndpointServer(deps: EndpointServerDeps, scope: McpScope, era: Era): Server {
  const { principal, log, agent } = scope;
  const server = new Server(
    { name: 'collexa', title: agent ? `Collexa agent ${agent.name}` : 'Collexa', version: VERSION },
    {
      capabilities: { tools: {} },
      instructions:
        `${agent?.description ? `${agent.description}\n\n` : ''}Each tool call runs under the organisation's policy and is audited. ` +
        `A call that needs human approval answers with status "pending_approval" and an invocationId; ${STATUS_TOOL} tells its outcome later.`,
      cacheHints: { 'tools/list': CACHE_HINT, 'server/discover': CACHE_HINT },
    },
  );
  let catalog: Promise<Map<string, CapabilityTool>> | undefined;
  const tools = () =>
    (catalog ??= (agent ? Promise.resolve([agent]) : deps.agents.list(principal.orgId)).then((agents) =>
      capabilityTools(agents, agent ? 'agent' : 'org'),
    ));

  server.setRequestHandler('tools/list', async () => ({ tools: listedTools(await tools(), era) }));

  server.setRequestHandler('tools/call', async (request, ctx): Promise<CallToolResult> => {
    const { name, arguments: input = {} } = request.params;
    let entry: CapabilityTool | undefined;
    try {
      if (name === STATUS_TOOL) {
        const id = z.uuid().safeParse(input.invocationId);
        if (!id.success) throw notFound('invocation', String(input.invocationId));
        return invocationResult(await deps.invocations.get(principal.orgId, id.data));
      }
      entry = (await tools()).get(name);
      if (!entry) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Tool ${name} not found`);
      const key = request.params._meta?.idempotencyKey;
      const { row } = await deps.invocations.invoke(
        principal,
        {
          agentId: entry.agent.id,
          capability: entry.capability.name,
          input,
          idempotencyKey: key === undefined ? null : String(key),
        },
        log,
      );
      const signal = ctx.mcpReq.signal;
      const gone = scope.disconnected ? AbortSignal.any([signal, scope.disconnected]) : signal;
      const ended = await waitReporting(row, ctx, gone);
      if (gone.aborted) await abandoned(ended);
      return invocationResult(ended, shapeFor(entry));
    } catch (err) {
      // Refusals are tool errors the model can read and act on; only protocol misuse is a JSON-RPC error.
      if (err instanceof AppError) return refusalResult(err, shapeFor(entry));
      if (err instanceof ProtocolError) throw err;
      log.error({ err, tool: name }, 'mcp tools/call failed');
      throw new ProtocolError(ProtocolErrorCode.InternalError, 'Internal error');
    }
  });

  /** Only 2026-07-28 clients are shown outputSchemas (tools.ts), so only their results must conform. */
  function shapeFor(entry: CapabilityTool | undefined) {
    return { conform: era === 'modern' && entry?.tool.outputSchema !== undefined };
  }

  /**
   * The caller went away before it was answered, so no one holds this invocation's id (a disconnect is
   * cancellation in MCP). One that has run nothing (still deciding, or waiting for its approval) is
   * cancelled rather than left pending until it expires; one whose tool may be running is left to finish.
   */
  async function abandoned(row: InvocationRow): Promise<void> {
    try {
      const settled = await pollUntil(
        () => deps.invocations.get(row.org_id, row.id),
        (r) => r.status !== 'running' || r.decided_at !== null,
        DECISION_WAIT_MS,
      );
      if (settled.status !== 'pending_approval') return;
      await deps.invocations.cancel(principal, row.id);
      log.info({ invocationId: row.id }, 'mcp caller disconnected before an answer: invocation cancelled');
    } catch (err) {
      log.warn({ err, invocationId: row.id }, 'could not cancel an invocation its mcp caller abandoned');
    }
  }

  /** Waits for the invocation to end (up to approvalWaitMs), telling a client that asked for progress why it waits. */
  async function waitReporting(row: InvocationRow, ctx: ServerContext, gone: AbortSignal): Promise<InvocationRow> {
    const ended = deps.invocations.waitForEnd(row, deps.approvalWaitMs, gone);
    const progressToken = ctx.mcpReq._meta?.progressToken;
    if (progressToken === undefined) return ended;
    let progress = 0;
    return tickUntil(ended, deps.progressIntervalMs ?? 1000, async () => {
      const now = await deps.invocations.get(row.org_id, row.id);
      if (now.status !== 'pending_approval') return;
      const message = `waiting for approval ${now.approval_id}`;
      await ctx.mcpReq
        .notify({ method: 'notifications/progress', params: { progressToken, progress: ++progress, message } })
        .catch(() => undefined);
    });
  }

  return server;
}
