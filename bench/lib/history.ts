// Where a workflow's time went, read back from its Temporal history (server timestamps).
import type { Client } from '@temporalio/client';
import { summarize } from './load.js';

type History = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;
type Timestamp = { seconds?: unknown; nanos?: number | null } | null | undefined;

const tsMs = (ts: Timestamp) => Number(ts?.seconds ?? 0) * 1000 + (ts?.nanos ?? 0) / 1e6;

/**
 * One workflow's time split: activities by type (scheduled → completed), and its workflow tasks, waiting
 * for a poller (scheduled → started) and being run by the worker (started → completed).
 */
function splitHistory(history: History) {
  const events = history.events ?? [];
  const scheduled = new Map<string, { type: string; at: number }>();
  const activities: Record<string, number> = {};
  const wft = { count: 0, queuedMs: 0, runMs: 0, queuedEach: [] as number[], runEach: [] as number[] };
  let start = NaN;
  let end = NaN;
  let wftScheduledAt = NaN;
  let wftStartedAt = NaN;
  for (const e of events) {
    const at = tsMs(e.eventTime);
    if (e.workflowExecutionStartedEventAttributes) start = at;
    if (e.workflowExecutionCompletedEventAttributes) end = at;
    if (e.workflowTaskScheduledEventAttributes) wftScheduledAt = at;
    if (e.workflowTaskStartedEventAttributes) {
      wftStartedAt = at;
      wft.queuedMs += at - wftScheduledAt;
      wft.queuedEach.push(at - wftScheduledAt);
    }
    if (e.workflowTaskCompletedEventAttributes) {
      wft.count += 1;
      wft.runMs += at - wftStartedAt;
      wft.runEach.push(at - wftStartedAt);
    }
    if (e.activityTaskScheduledEventAttributes)
      scheduled.set(String(e.eventId), { type: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?', at });
    const done = e.activityTaskCompletedEventAttributes;
    if (done) {
      const s = scheduled.get(String(done.scheduledEventId));
      if (s) activities[s.type] = (activities[s.type] ?? 0) + (at - s.at);
    }
  }
  return { workflowMs: end - start, activities, wft };
}

/**
 * Median time per component over sampled operations: `outsideWorkflow` is the client's latency minus
 * the workflow's run (for Collexa: the API's own work and the HTTP round trip); `workflowTasks` the
 * workflow's run minus its activities, of which `wftQueued` waits for a poller and `wftRun` is the
 * worker's turn (activation, local activities, commands, completion round trip); `wftCount` workflow
 * tasks per run. With `perTask`, also `wftQueued#n` and `wftRun#n` for the n-th workflow task of each run.
 */
export async function latencyBreakdown(
  client: Client,
  samples: { ms: number; workflowId?: string }[],
  max = 30,
  opts: { perTask?: boolean } = {},
): Promise<Record<string, number>> {
  const withId = samples.filter((s): s is { ms: number; workflowId: string } => Boolean(s.workflowId));
  const step = Math.max(1, Math.floor(withId.length / max));
  const picked = withId.filter((_, i) => i % step === 0).slice(0, max);
  const parts: Record<string, number[]> = {};
  const add = (k: string, v: number) => (parts[k] ??= []).push(v);
  for (const s of picked) {
    const { workflowMs, activities, wft } = splitHistory(await client.workflow.getHandle(s.workflowId).fetchHistory());
    add('clientLatency', s.ms);
    add('outsideWorkflow', s.ms - workflowMs);
    add('workflow', workflowMs);
    let inActivities = 0;
    for (const [type, ms] of Object.entries(activities)) {
      add(`activity:${type}`, ms);
      inActivities += ms;
    }
    add('workflowTasks', workflowMs - inActivities);
    add('wftQueued', wft.queuedMs);
    add('wftRun', wft.runMs);
    add('wftCount', wft.count);
    if (opts.perTask) {
      wft.queuedEach.forEach((ms, i) => add(`wftQueued#${i + 1}`, ms));
      wft.runEach.forEach((ms, i) => add(`wftRun#${i + 1}`, ms));
    }
  }
  return Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, summarize(v).p50]));
}
