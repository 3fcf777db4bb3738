import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { AgentRepository, AgentWithCapabilities } from '../../core/db/agent.repository.js';
import type { InvocationRow } from '../../core/db/rows.js';
import { AppError, notFound } from '../../core/errors.js';
import type { Principal } from '../../core/identity/identity.service.js';
import type { InvocationService } from '../../core/invocations/invocation.service.js';
import type { Logger } from '../../core/log.js';
import { pollUntil, tickUntil } from '../../core/wait.js';
import { invocationResult, refusalResult } from './results.js';
import { capabilityTools, STATUS_TOOL, statusTool, type CapabilityTool } from './tools.js';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

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

/** The endpoint's MCP SDK server for one request: the scope's capabilities as tools, each tools/call a governed invocation. */
export function createEndpointServer(deps: EndpointServerDeps, scope: McpScope): Server {
  const { principal, log, agent } = scope;
  const server = new Server(
    { name: 'collexa', title: agent ? `Collexa agent ${agent.name}` : 'Collexa', version: VERSION },
    {
      capabilities: { tools: {} },
      instructions:
        `${agent?.description ? `${agent.description}\n\n` : ''}Each tool call runs under the organisation's policy and is audited. ` +
        `A call that needs human approval answers with status "pending_approval" and an invocationId; ${STATUS_TOOL} tells its outcome later.`,
    },
  );
  let catalog: Promise<Map<string, CapabilityTool>> | undefined;
  const tools = () =>
    (catalog ??= (agent ? Promise.resolve([agent]) : deps.agents.list(principal.orgId)).then((agents) =>
      capabilityTools(agents, agent ? 'agent' : 'org'),
    ));

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: [...[...(await tools()).values()].map((t) => t.tool), statusTool],
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const { name, arguments: input = {} } = request.params;
    try {
      if (name === STATUS_TOOL) {
        const id = z.uuid().safeParse(input.invocationId);
        if (!id.success) throw notFound('invocation', String(input.invocationId));
        return invocationResult(await deps.invocations.get(principal.orgId, id.data));
      }
      const entry = (await tools()).get(name);
      if (!entry) throw new McpError(ErrorCode.InvalidParams, `Tool ${name} not found`);
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
      const gone = scope.disconnected ? AbortSignal.any([extra.signal, scope.disconnected]) : extra.signal;
      const ended = await waitReporting(row, extra, gone);
      if (gone.aborted) await abandoned(ended);
      return invocationResult(ended);
    } catch (err) {
      // Refusals are tool errors the model can read and act on; only protocol misuse is a JSON-RPC error.
      if (err instanceof AppError) return refusalResult(err);
      if (err instanceof McpError) throw err;
      log.error({ err, tool: name }, 'mcp tools/call failed');
      throw new McpError(ErrorCode.InternalError, 'Internal error');
    }
  });

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
  async function waitReporting(row: InvocationRow, extra: Extra, gone: AbortSignal): Promise<InvocationRow> {
    const ended = deps.invocations.waitForEnd(row, deps.approvalWaitMs, gone);
    const progressToken = extra._meta?.progressToken;
    if (progressToken === undefined) return ended;
    let progress = 0;
    return tickUntil(ended, deps.progressIntervalMs ?? 1000, async () => {
      const now = await deps.invocations.get(row.org_id, row.id);
      if (now.status !== 'pending_approval') return;
      const message = `waiting for approval ${now.approval_id}`;
      await extra
        .sendNotification({
          method: 'notifications/progress',
          params: { progressToken, progress: ++progress, message },
        })
        .catch(() => undefined);
    });
  }

  return server;
}
