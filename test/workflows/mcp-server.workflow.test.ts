// mcpServerWorkflow on the time-skipping server with mocked activities: the health state machine over
// scripted probe results, stop, deletion and on-demand probes, with the backoff timers skipped.
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  probeNowSignal,
  refreshCatalogUpdate,
  stopSignal,
  UNHEALTHY_AFTER,
  type McpServerInput,
  type ProbeResult,
} from '../../contracts/mcp-server.contract.js';
import type { mcpServerWorkflow } from '../../workflows/mcp-server.workflow.js';
import { StatusKey } from '../../contracts/search-attributes.js';
import {
  startTimeSkipping,
  testServerPath,
  withWorker,
  FAST,
  workflowBundle,
  type Activities,
} from '../helpers/time-skipping.js';
import { waitFor } from '../helpers/wait.js';

const server = testServerPath();
let env: TestWorkflowEnvironment;
let bundle: { code: string };

const HOUR_MS = 60 * 60 * 1000;
const input = (): McpServerInput => ({
  serverId: randomUUID(),
  orgId: `org-${randomUUID()}`,
  healthIntervalMs: HOUR_MS,
});
const down: ProbeResult = { ok: false, error: 'connect ECONNREFUSED' };
const up: ProbeResult = { ok: true, toolsCount: 3, catalogChanged: false };

/** Mocks whose probe answers `script` in order (then its last entry), noting the server time each probe was scheduled. */
function activities(script: ProbeResult[]) {
  const probedAt: number[] = [];
  const acts = {
    probeMcpServer: vi.fn<Activities['probeMcpServer']>(async () => {
      probedAt.push(Context.current().info.scheduledTimestampMs);
      return script[Math.min(probedAt.length, script.length) - 1]!;
    }),
    recordMcpServerStatus: vi.fn<Activities['recordMcpServerStatus']>(async () => undefined),
    stopMcpServer: vi.fn<Activities['stopMcpServer']>(async () => undefined),
  };
  return { acts, probedAt };
}

/** The status records as [status, changed] pairs, in order. */
const statuses = (acts: ReturnType<typeof activities>['acts']) =>
  acts.recordMcpServerStatus.mock.calls.map(([c]) => [c.status, c.changed]);

/** Starts the lifecycle on a worker with `acts`, runs `during`, and answers the final state. */
async function run(
  acts: Partial<Activities>,
  args: McpServerInput,
  during?: (handle: Awaited<ReturnType<typeof start>>) => Promise<void>,
) {
  return withWorker(env, bundle, acts, async (taskQueue) => {
    const handle = await start(taskQueue, args);
    if (during) await during(handle);
    return { result: await handle.result(), handle };
  });
}
/** How many timers the run has started: one per wait between probes, in history once the workflow waits. */
async function timersStarted(handle: WorkflowHandle): Promise<number> {
  return ((await handle.fetchHistory()).events ?? []).filter((e) => e.timerStartedEventAttributes).length;
}
const start = (taskQueue: string, args: McpServerInput) =>
  env.client.workflow.start<typeof mcpServerWorkflow>('mcpServerWorkflow', {
    taskQueue,
    workflowId: `mcp-server-${args.serverId}`,
    args: [args],
  });

describe.skipIf(!server)('mcpServerWorkflow (time-skipping, mocked activities)', () => {
  beforeAll(async () => {
    [env, bundle] = await Promise.all([startTimeSkipping(server!), workflowBundle()]);
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('degrades on failed probes, turns unhealthy after UNHEALTHY_AFTER, heals on a good probe, and ends when the server is gone', async () => {
    expect(UNHEALTHY_AFTER).toBe(3);
    const { acts, probedAt } = activities([down, down, down, up, { ok: false, gone: true }]);
    const args = input();
    const { result } = await run(acts, args);
    expect(statuses(acts)).toEqual([
      ['degraded', true],
      ['degraded', false],
      ['unhealthy', true],
      ['healthy', true],
    ]);
    expect(acts.recordMcpServerStatus.mock.calls[0]![0]).toEqual({
      serverId: args.serverId,
      status: 'degraded',
      reason: 'connect ECONNREFUSED',
      changed: true,
    });
    expect(acts.recordMcpServerStatus.mock.calls[3]![0].reason).toBeNull();
    // After failures the next probe comes sooner (1 s, 2 s, 4 s); after a good one, at the interval.
    const gaps = probedAt.slice(1).map((t, i) => t - probedAt[i]!);
    expect(gaps.map((g) => Math.round(g / 1000))).toEqual([1, 2, 4, HOUR_MS / 1000]);
    // A deleted server ends its lifecycle: connections closed, state stopped.
    expect(acts.stopMcpServer).toHaveBeenCalledExactlyOnceWith({ serverId: args.serverId });
    expect(result).toEqual({ status: 'stopped', consecutiveFailures: 0, lastError: null });
  });

  it('stops on the stop signal: closes the server and ends stopped', async () => {
    const { acts } = activities([up]);
    const args = input();
    const { result, handle } = await run(acts, args, async (h) => {
      await waitFor(
        () => acts.recordMcpServerStatus.mock.calls.length,
        (n) => n > 0,
        { what: 'acts.recordMcpServerStatus called', ...FAST },
      );
      await h.signal(stopSignal);
      // Stopped before result() lets time skip: the hourly probe timer cannot fire first.
      await waitFor(
        () => acts.stopMcpServer.mock.calls.length,
        (n) => n > 0,
        { what: 'acts.stopMcpServer called', ...FAST },
      );
    });
    expect(result).toEqual({ status: 'stopped', consecutiveFailures: 0, lastError: null });
    expect(acts.probeMcpServer).toHaveBeenCalledTimes(1);
    expect(statuses(acts)).toEqual([['healthy', true]]);
    expect(acts.stopMcpServer).toHaveBeenCalledExactlyOnceWith({ serverId: args.serverId });
    expect((await handle.describe()).typedSearchAttributes.get(StatusKey)).toBe('stopped');
  });

  it('probes on demand (probeNow signal, refreshCatalog update) without waiting for the interval', async () => {
    const { acts } = activities([up, up, { ok: true, toolsCount: 4, catalogChanged: true }]);
    const { result } = await run(acts, input(), async (h) => {
      // Signal only once the workflow waits (its wait's timer is in history): a probeNow that lands while a
      // probe or its status record is in flight is cleared by the `probeRequested = false` before the wait.
      await waitFor(
        () => timersStarted(h),
        (n) => n === 1,
        { what: 'the wait timer started', ...FAST },
      );
      await h.signal(probeNowSignal);
      // Time does not skip here (no result awaited): a second probe within seconds was not the hourly one.
      await waitFor(
        () => acts.recordMcpServerStatus.mock.calls.length,
        (n) => n === 2,
        { what: 'acts.recordMcpServerStatus called 2 times', ...FAST },
      );
      expect(await h.executeUpdate(refreshCatalogUpdate)).toEqual({ ok: true, toolsCount: 4, catalogChanged: true });
      await h.signal(stopSignal);
      await waitFor(
        () => acts.stopMcpServer.mock.calls.length,
        (n) => n > 0,
        { what: 'acts.stopMcpServer called', ...FAST },
      );
    });
    expect(acts.probeMcpServer).toHaveBeenCalledTimes(3);
    expect(statuses(acts)).toEqual([
      ['healthy', true],
      ['healthy', false],
    ]);
    expect(result.status).toBe('stopped');
  });
});
