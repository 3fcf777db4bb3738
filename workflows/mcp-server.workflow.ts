import {
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from './activity-proxies.js';
import {
  probeNowSignal,
  refreshCatalogUpdate,
  serverStateQuery,
  stopSignal,
  UNHEALTHY_AFTER,
  type McpServerStatus,
  type McpServerState,
  type McpServerWorkflow,
} from '../contracts/mcp-server.contract.js';
import { OrgIdKey, StatusKey } from '../contracts/search-attributes.js';

// Probes report failures as results; only infrastructure errors (database) are retried here.
const probes = proxyActivities<Activities>({
  startToCloseTimeout: '45 seconds',
  retry: { maximumAttempts: 3, maximumInterval: '5 seconds' },
});

const MAX_BACKOFF_MS = 60_000;

/**
 * Keeps one registered MCP server: connect, initialize and tools/list into the catalog, then a health
 * probe (ping, and a catalog refresh when the tool list changed) every interval. Status moves between
 * starting, healthy, degraded (a failed probe) and unhealthy (UNHEALTHY_AFTER in a row); a dead stdio
 * server is respawned by the next probe, sooner after a failure (exponential backoff, capped at the
 * interval). The stop signal closes its connections and ends the workflow.
 */
export const mcpServerWorkflow: McpServerWorkflow = async (input) => {
  const state: McpServerState = {
    status: input.status ?? 'starting',
    consecutiveFailures: input.consecutiveFailures ?? 0,
    lastError: null,
  };
  let stopRequested = false;
  let probeRequested = false;
  setHandler(stopSignal, () => void (stopRequested = true));
  setHandler(probeNowSignal, () => void (probeRequested = true));
  setHandler(serverStateQuery, () => state);
  // The probe activity (on a worker: only workers talk to MCP servers) syncs the catalog the API reads.
  setHandler(refreshCatalogUpdate, () => probes.probeMcpServer({ serverId: input.serverId }));
  upsertSearchAttributes([
    { key: OrgIdKey, value: input.orgId },
    { key: StatusKey, value: state.status },
  ]);

  const setStatus = async (status: McpServerStatus, reason: string | null) => {
    const changed = status !== state.status;
    state.status = status;
    await probes.recordMcpServerStatus({ serverId: input.serverId, status, reason, changed });
    if (changed) upsertSearchAttributes([{ key: StatusKey, value: status }]);
  };

  for (let i = 0; ; i++) {
    if (stopRequested) break;
    const result = await probes.probeMcpServer({ serverId: input.serverId });
    if (result.gone) break;
    if (result.ok) {
      state.consecutiveFailures = 0;
      state.lastError = null;
      await setStatus('healthy', result.catalogChanged ? 'tool catalog refreshed' : null);
    } else {
      state.consecutiveFailures++;
      state.lastError = result.error ?? 'probe failed';
      await setStatus(state.consecutiveFailures >= UNHEALTHY_AFTER ? 'unhealthy' : 'degraded', state.lastError);
    }
    const wait = result.ok
      ? input.healthIntervalMs
      : Math.min(input.healthIntervalMs, 1000 * 2 ** (state.consecutiveFailures - 1), MAX_BACKOFF_MS);
    probeRequested = false;
    await condition(() => stopRequested || probeRequested, wait);
    // Bound the history of a server that lives for months.
    if (!stopRequested && (i >= 200 || workflowInfo().continueAsNewSuggested)) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof mcpServerWorkflow>({
        ...input,
        consecutiveFailures: state.consecutiveFailures,
        status: state.status,
      });
    }
  }
  await condition(allHandlersFinished);
  await probes.stopMcpServer({ serverId: input.serverId });
  state.status = 'stopped';
  upsertSearchAttributes([{ key: StatusKey, value: 'stopped' }]);
  return state;
};
