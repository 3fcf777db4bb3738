// Approval-gated calls as MCP Tasks, on the real path, through the stock ext-tasks requester over the
// SDK v2 client in both eras (2026-07-28 with the tasks extension, 2025-11-25 with the task capability):
// the task is the invocation, an approver decides over REST, the task completes with the tool's result.
import type { Tool } from '@modelcontextprotocol/client';
import {
  resultFromTaskOutcome,
  toolDeclarationFromMcpTool,
  type TaskEnabledSession,
  type TaskOutcome,
} from '@modelcontextprotocol/ext-tasks/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { rawDispatch, taskRequester } from '../helpers/mcp-tasks.js';
import { createServerAndAgent, startPlatform, userWithRole } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

let platform: Awaited<ReturnType<typeof startPlatform>>;
let mcpHttp: HttpMcpServer;
let org: Awaited<ReturnType<typeof createOrg>>;
let other: Awaited<ReturnType<typeof createOrg>>;
let agentId: string;
let secondAgentId: string;
let developer: string;
let approver: string;
const closers: (() => Promise<void>)[] = [];

const endpoint = () => `${platform.url}/mcp/${agentId}`;

beforeAll(async () => {
  mcpHttp = await startHttpMcpServer();
  // A short hold: a task-capable caller is answered as soon as the call must wait for an approval.
  platform = await startPlatform({ mcpEndpoint: { approvalWaitMs: 20_000 } });
  org = await createOrg(platform.db, 'mcp-tasks');
  other = await createOrg(platform.db, 'mcp-tasks-other');
  ({ agentId } = await createServerAndAgent(
    platform.url,
    org.adminKey,
    { name: 'testhttp', transport: 'http', url: mcpHttp.url },
    {
      name: 'tasks-agent',
      capabilities: [
        { name: 'sum', tool: 'add', risk: 'low' },
        { name: 'guarded_sum', tool: 'add', risk: 'high' },
      ],
    },
  ));
  developer = (await userWithRole(platform.db, org.org.id, 'developer')).key;
  approver = (await userWithRole(platform.db, org.org.id, 'approver')).key;
  // A second agent of the same org: /mcp/:agentId sees only its own agent's tasks.
  const second = await call(`${platform.url}/v1/agents`, {
    method: 'POST',
    key: org.adminKey,
    json: { name: 'second-agent', capabilities: [{ name: 'sum', server: 'testhttp', tool: 'add' }] },
  });
  expect(second.status, second.text).toBe(201);
  secondAgentId = second.json.id;
}, 120_000);
afterAll(async () => {
  await Promise.allSettled(closers.map((c) => c()));
  await platform?.stop();
  await mcpHttp?.stop();
});

async function requester(era: 'modern' | 'legacy', key = developer) {
  const r = await taskRequester(endpoint(), key, era);
  closers.push(r.close);
  const { tools } = await r.client.listTools();
  return { ...r, tools };
}

/** A tools/call through the session that prefers a task, as an agent host would make it. */
function callGuarded(session: TaskEnabledSession, tools: Tool[], args: Record<string, number>, meta = {}) {
  const tool = tools.find((t) => t.name === 'guarded_sum')!;
  return session.callTool('guarded_sum', args, {
    declaration: toolDeclarationFromMcpTool(tool),
    task: { preference: 'prefer' },
    metadata: meta,
  });
}

async function invocation(id: string) {
  const res = await call(`${platform.url}/v1/invocations/${id}`, { key: developer });
  expect([200, 202], res.text).toContain(res.status);
  const body = res.json as { invocationId: string; status: string; approval: { id: string } | null };
  return { status: body.status, approvalId: body.approval?.id ?? null };
}

async function decide(approvalId: string, decision: 'approve' | 'deny', comment?: string) {
  const res = await call(`${platform.url}/v1/approvals/${approvalId}/${decision}`, {
    method: 'POST',
    key: approver,
    json: comment ? { comment } : {},
  });
  expect(res.status, res.text).toBe(200);
}

/** A guarded call that must have become a task. */
async function guardedTask(era: 'modern' | 'legacy', args: Record<string, number>, meta = {}) {
  const { session, tools } = await requester(era);
  const exec = await callGuarded(session, tools, args, meta);
  if (exec.kind !== 'task') throw new Error(`expected a task, got ${exec.kind}`);
  return { session, exec, taskId: exec.handle.taskId };
}

/** The approval the task's invocation waits for, once it does. */
async function pendingApproval(taskId: string): Promise<string> {
  const pending = await waitFor(
    () => invocation(taskId),
    (i) => i.status === 'pending_approval',
    { what: 'the invocation to wait for its approval' },
  );
  return pending.approvalId!;
}

/** Settles the task: it must complete with an error result whose text contains `reason`. */
async function expectErrorCompletion(
  exec: { settle: () => Promise<{ outcome: TaskOutcome<unknown> }> },
  reason: string,
) {
  const { outcome } = await exec.settle();
  expect(outcome.status).toBe('completed');
  const result = resultFromTaskOutcome(outcome) as { isError?: boolean; content?: { type: string; text?: string }[] };
  expect(result.isError).toBe(true);
  expect(textOf(result)).toContain(reason);
}

const textOf = (r: { content?: { type: string; text?: string }[] }) =>
  (r.content ?? []).map((c) => c.text ?? '').join('');

describe.each(['modern', 'legacy'] as const)('a %s task requester (ext-tasks)', (era) => {
  it('gets a task whose id is the invocation; it works while waiting for approval and completes with the tool result once approved', async () => {
    const { session, tools } = await requester(era);
    if (era === 'legacy')
      expect(tools.find((t) => t.name === 'guarded_sum')!.execution).toEqual({ taskSupport: 'optional' });
    const exec = await callGuarded(session, tools, { a: 1, b: 2 });
    expect(exec.kind).toBe('task');
    if (exec.kind !== 'task') return;
    const taskId = exec.handle.taskId;
    // The task is the durable invocation: it exists before any approval, under the same id.
    const approvalId = await pendingApproval(taskId);
    const snapshot = await waitFor(
      () => session.task(taskId).snapshot(),
      (t) => t.statusMessage?.includes('Waiting for approval') === true,
      { what: 'the task to say it waits for an approval' },
    );
    expect(snapshot.status).toBe('working');
    expect(snapshot.statusMessage).toContain(approvalId);
    expect(snapshot.statusMessage).toMatch(/approver \(.*\).* before \d{4}-\d\d-\d\dT/);

    await decide(approvalId, 'approve');
    const { outcome } = await exec.settle();
    expect(outcome.status).toBe('completed');
    const result = resultFromTaskOutcome(outcome) as { isError?: boolean; structuredContent?: unknown };
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ sum: 3 });
    expect((await invocation(taskId)).status).toBe('succeeded');
  });

  it('completes a denied task with an error result that gives the reason', async () => {
    const { exec, taskId } = await guardedTask(era, { a: 2, b: 2 });
    await decide(await pendingApproval(taskId), 'deny', 'not this quarter');
    await expectErrorCompletion(exec, 'not this quarter');
    expect((await invocation(taskId)).status).toBe('denied');
  });

  it('completes an expired task with an error result saying no approver decided', async () => {
    const { exec, taskId } = await guardedTask(era, { a: 3, b: 3 }, { 'collexa/approvalExpiresIn': 2 });
    await expectErrorCompletion(exec, 'expired');
    expect((await invocation(taskId)).status).toBe('expired');
  });

  it('cancels the invocation when the requester cancels the task', async () => {
    const { session, exec, taskId } = await guardedTask(era, { a: 4, b: 4 });
    await pendingApproval(taskId);
    await exec.cancel();
    await waitFor(
      () => invocation(taskId),
      (i) => i.status === 'cancelled',
      { what: 'the invocation to be cancelled' },
    );
    expect((await session.task(taskId).snapshot()).status).toBe('cancelled');
  });

  it('refuses another org’s tasks/get and tasks/cancel as an unknown task', async () => {
    const { exec, taskId } = await guardedTask(era, { a: 5, b: 5 });
    const stranger = await taskRequester(`${platform.url}/mcp`, other.adminKey, era);
    closers.push(stranger.close);
    await expect(stranger.session.task(taskId).snapshot()).rejects.toThrow(/Unknown task/);
    await expect(stranger.session.cancelTask(taskId)).rejects.toThrow(/Unknown task/);
    // The same org through another agent's endpoint: not that agent's task either.
    const sideways = await taskRequester(`${platform.url}/mcp/${secondAgentId}`, developer, era);
    closers.push(sideways.close);
    await expect(sideways.session.task(taskId).snapshot()).rejects.toThrow(/Unknown task/);
    expect((await invocation(taskId)).status).not.toBe('cancelled');
    await exec.cancel();
  });
});

describe('what a task-capable caller gets without an approval', () => {
  /** `sum` (no approval) through a session that prefers a task; the outcome must be the sum. */
  async function sumThrough(era: 'modern' | 'legacy', a: number, b: number) {
    const { session, tools } = await requester(era);
    const declaration = toolDeclarationFromMcpTool(tools.find((t) => t.name === 'sum')!);
    const exec = await session.callTool('sum', { a, b }, { declaration, task: { preference: 'prefer' } });
    const { outcome } = await exec.settle();
    expect((resultFromTaskOutcome(outcome) as { structuredContent?: unknown }).structuredContent).toEqual({
      sum: a + b,
    });
    return exec.kind;
  }

  it('2026-07-28: a call that needs none is answered at once with its result, no task', async () => {
    expect(await sumThrough('modern', 20, 22)).toBe('immediate');
  });

  it('2025-11-25: a task-augmented call gets a task (the spec’s contract) that completes by itself', async () => {
    expect(await sumThrough('legacy', 1, 1)).toBe('task');
  });

  it('2025-11-25: tasks/list shows the caller’s own tasks only', async () => {
    const { session } = await requester('legacy');
    const mine = await session.listTasks();
    expect(mine.tasks.length).toBeGreaterThan(0);
    const ids = new Set(mine.tasks.map((t) => t.taskId));
    const rows = await platform.db('invocations').whereIn('id', [...ids]);
    expect(rows.every((r: { org_id: string }) => r.org_id === org.org.id)).toBe(true);
    const stranger = await taskRequester(`${platform.url}/mcp`, other.adminKey, 'legacy');
    closers.push(stranger.close);
    const theirs = await stranger.session.listTasks();
    expect(theirs.tasks.filter((t) => ids.has(t.taskId))).toEqual([]);
    // Another user of the same org lists their own, not the developer's.
    const colleague = await requester('legacy', approver);
    const theirsToo = await colleague.session.listTasks();
    expect(theirsToo.tasks.filter((t) => ids.has(t.taskId))).toEqual([]);
  });
});

describe('the 2026-07-28 task methods on the wire', () => {
  it('answers tasks/get for a malformed or unknown id with -32602 (Unknown task)', async () => {
    const dispatch = rawDispatch(endpoint(), developer);
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientCapabilities': { extensions: { 'io.modelcontextprotocol/tasks': {} } },
    };
    for (const taskId of ['not-a-uuid', '00000000-0000-4000-8000-000000000000']) {
      const answer = (await dispatch({ method: 'tasks/get', params: { taskId, _meta: meta } })) as {
        kind: string;
        error?: { code: number; message: string };
      };
      expect(answer).toMatchObject({ kind: 'error', error: { code: -32602 } });
      expect(answer.error!.message).toContain('Unknown task');
    }
  });
});
