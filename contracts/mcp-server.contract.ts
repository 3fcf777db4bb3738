import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/** Every state a registered MCP server (its row and its lifecycle workflow) can be in. */
export const MCP_SERVER_STATUSES = ['starting', 'healthy', 'degraded', 'unhealthy', 'stopped'] as const;
export type McpServerStatus = (typeof MCP_SERVER_STATUSES)[number];

/** Input of mcpServerWorkflow: which server to keep, and how often to check it. */
export interface McpServerInput {
  serverId: string;
  orgId: string;
  healthIntervalMs: number;
  /** Carried across continue-as-new so the status logic keeps its memory. */
  consecutiveFailures?: number;
  status?: McpServerStatus;
}

/** What one probe of the server found (an activity result; failures are data, not exceptions). */
export interface ProbeResult {
  ok: boolean;
  error?: string;
  toolsCount?: number;
  catalogChanged?: boolean;
  /** The server was deleted: the lifecycle ends. */
  gone?: boolean;
}

export interface McpServerState {
  status: McpServerStatus;
  consecutiveFailures: number;
  lastError: string | null;
}

/** Keeps one registered MCP server: connect, catalog, health probes, respawn, until stopped. */
export type McpServerWorkflow = (input: McpServerInput) => Promise<McpServerState>;
export const MCP_SERVER_WORKFLOW = 'mcpServerWorkflow';

/** Stops the lifecycle: the server's connections are closed and the workflow ends. */
export const stopSignal = defineSignal('stop');
/** Asks for a probe now (e.g. after the server's config changed) instead of at the next interval. */
export const probeNowSignal = defineSignal('probeNow');
/**
 * Reads the server's tools/list into the catalog now and answers how that went: how the API learns a tool
 * it has not seen yet (a new capability, a repin) without talking to the server itself.
 */
export const refreshCatalogUpdate = defineUpdate<ProbeResult>('refreshCatalog');
export const serverStateQuery = defineQuery<McpServerState>('serverState');

export const mcpServerWorkflowId = (serverId: string) => `mcp-server-${serverId}`;

/** Consecutive failed probes after which a degraded server is called unhealthy. */
export const UNHEALTHY_AFTER = 3;
