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
import { AppError, badRequest, notFound } from '../../core/errors.js';
import type { Principal } from '../../core/identity/identity.service.js';
import type { InvocationService } from '../../core/invocations/invocation.service.js';
import type { Logger } from '../../core/log.js';
import { tickUntil } from '../../core/wait.js';
import { isTerminalInvocation } from '../../contracts/invocation.contract.js';
import { ProgressRelay } from './progress-relay.js';
import { approvalIfPending, registerTaskMethods } from './task-methods.js';
import { legacyTask, modernTask, TASKS_EXTENSION, taskView } from './tasks.js';
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
  /** /mcp/:agentId?sandbox=ID: calls run against that sandbox of the agent. */
  sandboxId?: string;
  /** Aborts when the caller's HTTP request closes before it was answered, or the caller cancels the call. */
  disconnected?: AbortSignal;
}

const VERSION = '0.1.0';
// 2025-11-25 tasks: tools/call may be task-augmented (tools.ts lists taskSupport "optional"), tasks can be listed and cancelled.
const LEGACY_CAPABILITIES = { tools: {}, tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } };
/** The tools/call `_meta` key for how long an approval may wait (REST: approvalExpiresIn). */
const APPROVAL_EXPIRES_IN = 'collexa/approvalExpiresIn';
const DEFAULT_PROGRESS_INTERVAL_MS = 1_000;
// How often a waiting call re-reads its row for upstream progress, and (task-capable callers) for the
// moment it must wait for an approval: its task is answered then, not after the whole wait.
const ROW_CHECK_MS = 250;
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
      capabilities: era === 'modern' ? { tools: {}, extensions: { [TASKS_EXTENSION]: {} } } : LEGACY_CAPABILITIES,
      instructions:
        `${agent?.description ? `${agent.description}\n\n` : ''}Each tool call runs under the organisation's policy and is audited. ` +
        `A call that needs human approval becomes a task for a client that supports MCP tasks; any other client ` +
        `is answered with status "pending_approval" and an invocationId, and ${STATUS_TOOL} tells its outcome later.`,
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
      const meta = request.params._meta ?? {};
      const key = meta.idempotencyKey;
      const expiresIn = meta[APPROVAL_EXPIRES_IN];
      const { row } = await deps.invocations.invoke(
        principal,
        {
          agentId: entry.agent.id,
          capability: entry.capability.name,
          input,
          idempotencyKey: key === undefined ? null : String(key),
          ...(expiresIn === undefined ? {} : { approvalExpiresIn: approvalExpiresIn(expiresIn) }),
          ...(scope.sandboxId ? { sandboxId: scope.sandboxId } : {}),
        },
        log,
      );
      // A 2025-11-25 client asked for a task: it gets one at once (the row is durable already).
      if (era === 'legacy' && request.params.task !== undefined)
        return { task: legacyTask(taskView(row, undefined)), content: [] } as CallToolResult;
      // A 2026-07-28 client that declared the tasks extension gets a task once the call must wait for
      // an approval (or outlasts the wait); one that ends in time is answered with its result.
      const asTask = era === 'modern' && declaresTasks(ctx);
      const gone = goneSignal(ctx.mcpReq.signal);
      const now = await follow(row, ctx, gone, asTask);
      if (gone.aborted) await abandoned(now);
      else if (asTask && !isTerminalInvocation(now.status))
        return {
          resultType: 'task',
          ...modernTask(taskView(now, await approvalIfPending(deps.invocations, now))),
        } as unknown as CallToolResult;
      return invocationResult(now, shapeFor(entry));
    } catch (err) {
      // Refusals are tool errors the model can read and act on; only protocol misuse is a JSON-RPC error.
      if (err instanceof AppError) return refusalResult(err, shapeFor(entry));
      if (err instanceof ProtocolError) throw err;
      log.error({ err, tool: name }, 'mcp tools/call failed');
      throw new ProtocolError(ProtocolErrorCode.InternalError, 'Internal error');
    }
  });

  registerTaskMethods(server, {
    invocations: deps.invocations,
    scope,
    era,
    gone: goneSignal,
    // Only a 2026-07-28 result's shape depends on its tool's listing (shapeFor): no catalog for the 2025 era.
    resultOf: async (row) => {
      if (era === 'legacy') return invocationResult(row);
      const entry = [...(await tools()).values()].find(
        (t) => t.agent.id === row.agent_id && t.capability.name === row.capability,
      );
      return invocationResult(row, shapeFor(entry));
    },
  });

  /** The request's own abort (the SDK's), or the caller's disconnect or notifications/cancelled (mcp.routes.ts). */
  function goneSignal(signal: AbortSignal): AbortSignal {
    return scope.disconnected ? AbortSignal.any([signal, scope.disconnected]) : signal;
  }

  /** Only 2026-07-28 clients are shown outputSchemas (tools.ts), so only their results must conform. */
  function shapeFor(entry: CapabilityTool | undefined) {
    return { conform: era === 'modern' && entry?.tool.outputSchema !== undefined };
  }

  /**
   * The caller went away (or cancelled) before it was answered, so no one holds this invocation's id: a
   * disconnect is cancellation in MCP. The invocation is cancelled wherever it is: waiting for its
   * decision or approval (nothing ran), or running its tool, whose upstream server then gets the
   * cancellation too (the activity's abort becomes the MCP client's notifications/cancelled).
   */
  async function abandoned(row: InvocationRow): Promise<void> {
    try {
      if (isTerminalInvocation(row.status)) return;
      const now = await deps.invocations.cancel(principal, row.id);
      log.info(
        { invocationId: row.id, status: now.status },
        'mcp caller went away before an answer: invocation cancelled',
      );
    } catch (err) {
      if (err instanceof AppError && err.httpStatus === 409) return;
      log.warn({ err, invocationId: row.id }, 'could not cancel an invocation its mcp caller abandoned');
    }
  }

  /**
   * Waits for the invocation to end (up to approvalWaitMs), or with `untilPending` until it must wait for
   * an approval, re-reading its row while it waits to pass progress on to a caller that asked for it.
   */
  async function follow(
    row: InvocationRow,
    ctx: ServerContext,
    gone: AbortSignal,
    untilPending: boolean,
  ): Promise<InvocationRow> {
    const enough = new AbortController();
    const ended = deps.invocations.waitForEnd(row, deps.approvalWaitMs, AbortSignal.any([gone, enough.signal]));
    const progressToken = ctx.mcpReq._meta?.progressToken;
    if (progressToken === undefined && !untilPending) return ended;
    const interval = deps.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
    const relay = new ProgressRelay(
      (notice) => ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken, ...notice } }),
      interval,
    );
    let watchPending = untilPending;
    const last = await tickUntil(ended, Math.min(interval, ROW_CHECK_MS), async () => {
      // Nothing left to watch for (policy decided no approval, and nobody asked for progress): the
      // Temporal long poll alone ends the wait.
      if (!watchPending && progressToken === undefined) return;
      const now = await deps.invocations.get(row.org_id, row.id);
      if (watchPending && now.status === 'pending_approval') return enough.abort();
      if (now.decision && now.decision.requireApproval !== true) watchPending = false;
      if (progressToken !== undefined) await relay.observe(now);
    });
    // The tool's last progress, recorded just before its end, goes out before the result does.
    if (progressToken !== undefined) await relay.observe(last);
    return last;
  }

  return server;
}

/** Seconds the call's approval, if policy asks for one, may wait: as REST's approvalExpiresIn (1 s to 30 days). */
function approvalExpiresIn(value: unknown): number {
  const seconds = z
    .number()
    .int()
    .min(1)
    .max(30 * 24 * 3600)
    .safeParse(value);
  if (!seconds.success)
    throw badRequest(
      'invalid_approval_expires_in',
      `_meta["${APPROVAL_EXPIRES_IN}"] must be a whole number of seconds from 1 to 2592000`,
    );
  return seconds.data;
}

/** Whether this 2026-07-28 request declared the tasks extension in its per-request client capabilities. */
function declaresTasks(ctx: ServerContext): boolean {
  // The SDK types the envelope as an open record; its key is the spec's.
  const envelope = ctx.mcpReq.envelope as
    Record<string, { extensions?: Record<string, unknown> } | undefined> | undefined;
  const caps = envelope?.['io.modelcontextprotocol/clientCapabilities'];
  return caps?.extensions?.[TASKS_EXTENSION] !== undefined;
}
