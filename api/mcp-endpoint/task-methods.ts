import { ProtocolError, ProtocolErrorCode, type CallToolResult, type Server } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { isTerminalInvocation } from '../../contracts/invocation.contract.js';
import type { InvocationRow } from '../../core/db/rows.js';
import { AppError } from '../../core/errors.js';
import type { InvocationService } from '../../core/invocations/invocation.service.js';
import type { McpScope } from './endpoint-server.js';
import { legacyTask, modernTask, taskView, type TaskView } from './tasks.js';
import type { Era } from './tools.js';

export interface TaskMethodDeps {
  invocations: InvocationService;
  scope: McpScope;
  era: Era;
  /** The tools/call result an ended invocation answers with (in the shape its tool's listing asks for). */
  resultOf: (row: InvocationRow) => Promise<CallToolResult>;
  /** Aborts when the caller is gone: ends a blocking tasks/result. */
  gone: (signal: AbortSignal) => AbortSignal;
}

const TaskParams = z.looseObject({ taskId: z.string().max(100) });
const ListParams = z.looseObject({ cursor: z.string().max(100).optional() });
const LIST_PAGE = 50;
// A blocking tasks/result re-reads the row this often while the caller is still there (each wait is a
// Temporal long poll that returns at once when the workflow ends).
const RESULT_WAIT_SLICE_MS = 60_000;
const RELATED_TASK = 'io.modelcontextprotocol/related-task';

/**
 * The tasks/* methods over invocations (tasks.ts). 2026-07-28: tasks/get (with the result inline once
 * done), tasks/update (acknowledged: an approval is decided by people over the REST API, never by the
 * requester, so no task of ours asks for input) and tasks/cancel (acknowledged; it cancels the
 * invocation). 2025-11-25: tasks/get, tasks/result (blocks until the task ends), tasks/list (the caller's
 * own) and tasks/cancel (answers the task). A task is found only in the caller's org, and on
 * /mcp/:agentId only among that agent's invocations: any other id is an unknown task, exactly like one
 * that does not exist, so ids of other orgs cannot even be probed.
 */
export function registerTaskMethods(server: Server, deps: TaskMethodDeps): void {
  const { invocations, scope, era } = deps;
  const { principal } = scope;

  async function task(taskId: string): Promise<{ row: InvocationRow; view: TaskView }> {
    const row = await ownRow(taskId);
    return { row, view: taskView(row, await approvalIfPending(invocations, row)) };
  }

  async function ownRow(taskId: string): Promise<InvocationRow> {
    const id = z.uuid().safeParse(taskId);
    const row = id.success ? await invocations.get(principal.orgId, id.data).catch(unknownOnly) : undefined;
    if (!row || (scope.agent && row.agent_id !== scope.agent.id))
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown task: ${taskId}`);
    return row;
  }

  /** Cancels the invocation; false when it had already ended. Refusals other than that are JSON-RPC errors. */
  async function cancel(row: InvocationRow): Promise<boolean> {
    if (isTerminalInvocation(row.status)) return false;
    try {
      await invocations.cancel(principal, row.id);
      return true;
    } catch (err) {
      if (err instanceof AppError && err.httpStatus === 409) return false;
      if (err instanceof AppError) throw new ProtocolError(ProtocolErrorCode.InvalidParams, err.message);
      throw err;
    }
  }

  if (era === 'modern') {
    server.setRequestHandler('tasks/get', { params: TaskParams }, async ({ taskId }) => {
      const { row, view } = await task(taskId);
      if (view.status !== 'completed') return modernTask(view);
      return { ...modernTask(view), result: { ...(await deps.resultOf(row)), resultType: 'complete' } };
    });
    server.setRequestHandler('tasks/update', { params: TaskParams }, async ({ taskId }) => {
      await ownRow(taskId);
      return {};
    });
    server.setRequestHandler('tasks/cancel', { params: TaskParams }, async ({ taskId }) => {
      await cancel(await ownRow(taskId));
      return {};
    });
    return;
  }

  server.setRequestHandler('tasks/get', { params: TaskParams }, async ({ taskId }) =>
    legacyTask((await task(taskId)).view),
  );
  server.setRequestHandler('tasks/result', { params: TaskParams }, async ({ taskId }, ctx) => {
    let row = await ownRow(taskId);
    const gone = deps.gone(ctx.mcpReq.signal);
    while (!isTerminalInvocation(row.status) && !gone.aborted)
      row = await invocations.waitForEnd(row, RESULT_WAIT_SLICE_MS, gone);
    if (!isTerminalInvocation(row.status))
      throw new ProtocolError(ProtocolErrorCode.InternalError, 'The request was cancelled before the task ended');
    const result = await deps.resultOf(row);
    return { ...result, _meta: { ...result._meta, [RELATED_TASK]: { taskId: row.id } } };
  });
  server.setRequestHandler('tasks/list', { params: ListParams }, async ({ cursor }) => {
    const page = await invocations
      .list(principal.orgId, { requestedBy: principal.userId, agentId: scope.agent?.id, limit: LIST_PAGE, cursor })
      .catch((err: unknown) => {
        if (err instanceof AppError) throw new ProtocolError(ProtocolErrorCode.InvalidParams, err.message);
        throw err;
      });
    const tasks = await Promise.all(
      page.data.map(async (row) => legacyTask(taskView(row, await approvalIfPending(invocations, row)))),
    );
    return { tasks, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  });
  server.setRequestHandler('tasks/cancel', { params: TaskParams }, async ({ taskId }) => {
    const row = await ownRow(taskId);
    if (!(await cancel(row)))
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Task ${taskId} already ended (${row.status})`);
    return legacyTask((await task(taskId)).view);
  });
}

/** The approval a task's status message names: only a task waiting for one needs it read. */
export function approvalIfPending(invocations: InvocationService, row: InvocationRow) {
  return row.status === 'pending_approval' ? invocations.approvalFor(row) : Promise.resolve(undefined);
}

/** A 404 of the row is an unknown task; anything else is a real failure. */
function unknownOnly(err: unknown): undefined {
  if (err instanceof AppError && err.httpStatus === 404) return undefined;
  throw err;
}
