// Records the history of each workflow's main paths on the real stack into test/replay/histories/, for
// replay-histories.test.ts. Not part of `npm test`: run `npm run test:refresh-histories` after an intended
// workflow change (see README, "Replay safety").
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { WorkflowFailedError } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalResult } from '../../contracts/approval.contract.js';
import type { InvokeResult } from '../../contracts/invocation.contract.js';
import type { pingWorkflow } from '../../workflows/index.js';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { createServerAndAgent, startPlatform, userWithRole, waitForStatus } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';
import { deliver, stripeEvent, subscription } from '../helpers/stripe-events.js';
import { waitFor } from '../helpers/wait.js';
import { historyFile, type RecordedPath } from './history-files.js';
import { historyToJson } from './history-json.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

// Run-specific names that would only add noise to every refresh (and leak the recording host).
const IDENTITY = 'history-recorder';
const TASK_QUEUE = 'collexa';

let platform: Awaited<ReturnType<typeof startPlatform>>;
let mcpHttp: HttpMcpServer;
let orgId: string;
let agentId: string;
let keys: Record<'developer' | 'approver' | 'viewer', string>;
let adminKey: string;

beforeAll(async () => {
  mcpHttp = await startHttpMcpServer();
  // Frequent probes, so the MCP server lifecycle reaches its states within the recording.
  platform = await startPlatform({ mcpHealthIntervalMs: 300 });
  const org = await createOrg(platform.db, 'replay histories');
  orgId = org.org.id;
  adminKey = org.adminKey;
  ({ agentId } = await createServerAndAgent(
    platform.url,
    org.adminKey,
    { name: 'testhttp', transport: 'http', url: mcpHttp.url },
    {
      name: 'recorder',
      capabilities: [
        { name: 'sum', tool: 'add', risk: 'low' },
        { name: 'note', tool: 'record', risk: 'high' },
        { name: 'broken', tool: 'fail', risk: 'low' },
      ],
    },
  ));
  const key = async (role: 'developer' | 'approver' | 'viewer') => (await userWithRole(platform.db, orgId, role)).key;
  keys = { developer: await key('developer'), approver: await key('approver'), viewer: await key('viewer') };
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  await mcpHttp?.stop();
});

/**
 * Waits for the workflow to close, checks how it ended (its result, or with `{ failedWith }` the type of the
 * ApplicationFailure it failed with), and writes its history as `<name>.json`.
 */
async function save<R>(name: RecordedPath, workflowId: string, expected: Partial<R> | { failedWith: string }) {
  const handle = platform.client.workflow.getHandle(workflowId);
  if ('failedWith' in expected) {
    const failure = await handle.result().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toMatchObject({ type: expected.failedWith });
  } else expect(await handle.result()).toMatchObject(expected);
  await saveHistory(name, workflowId);
}

/** Writes the workflow's history so far as `<name>.json` (a long-lived workflow replays up to its last event). */
async function saveHistory(name: RecordedPath, workflowId: string) {
  const history = await platform.client.workflow.getHandle(workflowId).fetchHistory();
  const json = JSON.parse(JSON.stringify(historyToJson(history)), (key, value: unknown) => {
    if (key === 'identity' && typeof value === 'string') return IDENTITY;
    // Normal task queue (ours, random per run) and sticky queues (named after the worker identity).
    if (key === 'taskQueue' && value && typeof value === 'object' && 'name' in value) {
      const q = value as { name: string; kind?: string; normalName?: string };
      return q.kind === 'TASK_QUEUE_KIND_STICKY'
        ? { ...q, name: `${IDENTITY}-sticky`, normalName: TASK_QUEUE }
        : { ...q, name: TASK_QUEUE };
    }
    return value;
  });
  writeFileSync(historyFile(name), `${JSON.stringify(json, null, 2)}\n`);
}

const invoke = (key: string, body: Record<string, unknown>, wait?: number) =>
  call(`${platform.url}/v1/agents/${agentId}/invoke${wait ? `?wait=${wait}` : ''}`, {
    method: 'POST',
    key,
    json: body,
  });
const decide = (approvalId: string, decision: 'approve' | 'deny', comment?: string) =>
  call(`${platform.url}/v1/approvals/${approvalId}/${decision}`, {
    method: 'POST',
    key: keys.approver,
    json: comment ? { comment } : {},
  });

/** A high-risk invocation, waited for until its approval is pending. */
async function pendingHighRisk(note: string, extra: Record<string, unknown> = {}) {
  const r = await invoke(keys.developer, { capability: 'note', input: { note }, ...extra });
  expect(r.status, r.text).toBe(202);
  const pending = await waitForStatus(platform.url, keys.developer, r.json.invocationId, 'pending_approval');
  return {
    invocationId: r.json.invocationId as string,
    workflowId: pending.workflowId as string,
    approvalId: pending.approval.id as string,
  };
}

describe('recording workflow histories', () => {
  it('pingWorkflow', async () => {
    const workflowId = `ping-${orgId}-${randomUUID()}`;
    await platform.client.workflow.start<typeof pingWorkflow>('pingWorkflow', {
      taskQueue: platform.taskQueue,
      workflowId,
      args: [{ orgId, message: 'replay' }],
    });
    await save('ping-succeeded', workflowId, { echo: 'replay' });
  });

  it('invokeCapabilityWorkflow: low risk, succeeded', async () => {
    const r = await invoke(keys.developer, { capability: 'sum', input: { a: 2, b: 3 } }, 30);
    await save<InvokeResult>('invoke-capability-low-risk-succeeded', r.json.workflowId, { status: 'succeeded' });
  });

  it('invokeCapabilityWorkflow: high risk, approved, succeeded (and its approval)', async () => {
    const inv = await pendingHighRisk('approved');
    expect((await decide(inv.approvalId, 'approve', 'fine')).json.status).toBe('approved');
    await save<InvokeResult>('invoke-capability-approved-succeeded', inv.workflowId, { status: 'succeeded' });
    await save<ApprovalResult>('approval-invocation-approved', `approval-${inv.approvalId}`, { status: 'approved' });
  });

  it('invokeCapabilityWorkflow: denied by the approver (and its approval)', async () => {
    const inv = await pendingHighRisk('denied');
    expect((await decide(inv.approvalId, 'deny', 'no')).json.status).toBe('denied');
    await save<InvokeResult>('invoke-capability-denied-by-approver', inv.workflowId, { status: 'denied' });
    await save<ApprovalResult>('approval-invocation-denied', `approval-${inv.approvalId}`, { status: 'denied' });
  });

  it('invokeCapabilityWorkflow: denied by policy (a viewer)', async () => {
    const r = await invoke(keys.viewer, { capability: 'note', input: { note: 'viewer' } }, 30);
    await save<InvokeResult>('invoke-capability-denied-by-policy', r.json.workflowId, { status: 'denied' });
  });

  it('invokeCapabilityWorkflow: approval expired (and its approval)', async () => {
    const inv = await pendingHighRisk('expiring', { approvalExpiresIn: 1 });
    await save<InvokeResult>('invoke-capability-approval-expired', inv.workflowId, { status: 'expired' });
    await save<ApprovalResult>('approval-invocation-expired', `approval-${inv.approvalId}`, { status: 'expired' });
  });

  it('invokeCapabilityWorkflow: cancelled while pending (and its approval)', async () => {
    const inv = await pendingHighRisk('cancelled');
    expect(
      (await call(`${platform.url}/v1/invocations/${inv.invocationId}/cancel`, { method: 'POST', key: keys.developer }))
        .json.status,
    ).toBe('cancelled');
    await save<InvokeResult>('invoke-capability-cancelled-while-pending', inv.workflowId, { status: 'cancelled' });
    await save<ApprovalResult>('approval-invocation-cancelled', `approval-${inv.approvalId}`, { status: 'cancelled' });
  });

  it('invokeCapabilityWorkflow: tool error, failed', async () => {
    const r = await invoke(keys.developer, { capability: 'broken', input: { message: 'boom' } }, 30);
    expect(r.json.status).toBe('failed');
    await save('invoke-capability-tool-error-failed', r.json.workflowId, { failedWith: 'tool_error' });
  });

  it('approvalWorkflow: standalone, approved', async () => {
    const created = await call(`${platform.url}/v1/approvals`, {
      method: 'POST',
      key: keys.developer,
      json: { subjectType: 'budget_override', subjectId: 'budget-replay', context: { amount: 100 }, expiresIn: 3600 },
    });
    expect(created.status, created.text).toBe(201);
    expect((await decide(created.json.id, 'approve')).json.status).toBe('approved');
    await save<ApprovalResult>('approval-standalone-approved', `approval-${created.json.id}`, { status: 'approved' });
  });

  const serverStatus = async (id: string) =>
    (await call(`${platform.url}/v1/mcp-servers/${id}`, { key: adminKey })).json.status as string;
  const untilStatus = (id: string, status: string) =>
    waitFor(
      () => serverStatus(id),
      (s) => s === status,
      { what: `server ${id} to become ${status}`, timeoutMs: 20_000 },
    );

  it('mcpServerWorkflow: probed healthy, then stopped', async () => {
    const s = await call(`${platform.url}/v1/mcp-servers?wait=15`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'lifecycle-a', transport: 'http', url: mcpHttp.url },
    });
    expect(s.json.status).toBe('healthy');
    expect(
      (await call(`${platform.url}/v1/mcp-servers/${s.json.id}`, { method: 'DELETE', key: adminKey })).status,
    ).toBe(204);
    await save('mcp-server-healthy-stopped', `mcp-server-${s.json.id}`, { status: 'stopped' });
  });

  it('mcpServerWorkflow: outage (degraded, unhealthy), recovered, stopped', async () => {
    const own = await startHttpMcpServer();
    try {
      const s = await call(`${platform.url}/v1/mcp-servers?wait=15`, {
        method: 'POST',
        key: adminKey,
        json: { name: 'lifecycle-b', transport: 'http', url: own.url },
      });
      expect(s.json.status).toBe('healthy');
      await own.stop();
      await untilStatus(s.json.id, 'unhealthy');
      await own.restart();
      await untilStatus(s.json.id, 'healthy');
      expect(
        (await call(`${platform.url}/v1/mcp-servers/${s.json.id}`, { method: 'DELETE', key: adminKey })).status,
      ).toBe(204);
      await save('mcp-server-outage-recovered-stopped', `mcp-server-${s.json.id}`, { status: 'stopped' });
    } finally {
      await own.stop();
    }
  });

  it('billingSyncWorkflow: applied, stale and parked events', async () => {
    const made = await call(`${platform.url}/v1/billing/customer`, { method: 'POST', key: adminKey });
    expect(made.status, made.text).toBe(201);
    const sub = subscription(made.json.customerId as string, 'active', { plan: 'team' });
    const now = Math.floor(Date.now() / 1000);
    const applied = stripeEvent('customer.subscription.updated', { ...sub, status: 'past_due' }, now + 10);
    const stale = stripeEvent('customer.subscription.updated', sub, now + 5);
    const parked = stripeEvent('customer.subscription.updated', { ...sub, status: 42 }, now + 20);
    for (const event of [applied, stale, parked]) expect((await deliver(platform.url, event)).status).toBe(200);
    await waitFor(
      async () =>
        (await platform.db('billing_events').whereIn('stripe_event_id', [applied.id, stale.id, parked.id]))
          .map((e: { status: string }) => e.status)
          .sort(),
      (s) => s.join() === 'applied,parked,stale',
      { what: 'the three events to be applied, stale and parked', timeoutMs: 60_000 },
    );
    await saveHistory('billing-sync-applied-stale-parked', `billing-${orgId}`);
  }, 90_000);
});
