import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { refreshCatalogUpdate } from '../../contracts/mcp-server.contract.js';
import type { McpServerRow } from '../db/rows.js';
import { AppError } from '../errors.js';

/** Asks a server's lifecycle workflow (on a worker) to read its tools/list into the catalog now. */
export type CatalogRefresher = (server: McpServerRow) => Promise<{ ok: boolean; error?: string }>;

/**
 * Refreshes a server's catalog through its lifecycle workflow's Update, which a worker executes. Bounded:
 * with no worker polling, the Update would wait forever, and the request with it.
 */
export function workflowCatalogRefresher(temporal: Client, timeoutMs = 45_000): CatalogRefresher {
  return async (server) => {
    if (!server.workflow_id) return { ok: false, error: 'the server has no lifecycle workflow' };
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new AppError(
              'worker_unavailable',
              503,
              `No worker refreshed the tools of MCP server "${server.name}" within ${timeoutMs / 1000} s`,
              { server: server.name },
            ),
          ),
        timeoutMs,
      );
    });
    try {
      const r = await Promise.race([
        temporal.workflow.getHandle(server.workflow_id).executeUpdate(refreshCatalogUpdate),
        timedOut,
      ]);
      return r.ok ? { ok: true } : { ok: false, error: r.error ?? 'probe failed' };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError || /already completed|not found/i.test((err as Error).message))
        return { ok: false, error: 'the server is stopped' };
      if (err instanceof WorkflowUpdateFailedError)
        return { ok: false, error: 'its lifecycle workflow could not refresh the catalog' };
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };
}
