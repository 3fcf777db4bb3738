// Governed invocation on the real path: HTTP API → Temporal workflow → OPA (WASM) → approval → real MCP servers.
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentIdKey, CapabilityKey, OrgIdKey, StatusKey } from '../../contracts/search-attributes.js';
import { INVOKE_CAPABILITY_WORKFLOW } from '../../contracts/invocation.contract.js';
import { InvocationRecorder, invokeInputOf } from '../../core/invocations/invocation-recorder.js';
import { PROJECT_ROOT } from '../../core/paths.js';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { createServerAndAgent, startPlatform, userWithRole, waitForStatus } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

const everythingBin = path.join(PROJECT_ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

let platform: Awaited<ReturnType<typeof startPlatform>>;
let mcpHttp: HttpMcpServer;
let org: Awaited<ReturnType<typeof createOrg>>;
let agentId: string;
let keys: Record<'developer' | 'approver' | 'approver2' | 'viewer' | 'admin2', { key: string; userId: string }>;

const url = () => platform.url;

async function setupOrg(o: Awaited<ReturnType<typeof createOrg>>) {
  const admin = o.adminKey;
  const servers = [
    { name: 'everything', transport: 'stdio', command: process.execPath, args: [everythingBin, 'stdio'] },
    { name: 'testhttp', transport: 'http', url: mcpHttp.url, headers: { 'x-test': 'secret-header-value' } },
  ];
  for (const s of servers)
    expect((await call(`${url()}/v1/mcp-servers`, { method: 'POST', key: admin, json: s })).status).toBe(201);
  const agent = await call(`${url()}/v1/agents`, {
    method: 'POST',
    key: admin,
    json: {
      name: 'ops-agent',
      description: 'test agent',
      capabilities: [
        { name: 'say', server: 'everything', tool: 'echo', risk: 'low' },
        { name: 'echo_http', server: 'testhttp', tool: 'echo', risk: 'medium' },
        { name: 'note', server: 'testhttp', tool: 'record', risk: 'high' },
        { name: 'note_critical', server: 'testhttp', tool: 'record', risk: 'critical' },
        { name: 'broken', server: 'testhttp', tool: 'fail', risk: 'low' },
        { name: 'sum', server: 'testhttp', tool: 'add', risk: 'low' },
      ],
    },
  });
  expect(agent.status, agent.text).toBe(201);
  return agent.json.id as string;
}

beforeAll(async () => {
  mcpHttp = await startHttpMcpServer();
  platform = await startPlatform();
  org = await createOrg(platform.db, 'invoke');
  agentId = await setupOrg(org);
  const k = async (role: 'developer' | 'approver' | 'viewer' | 'admin') => {
    const issued = await userWithRole(platform.db, org.org.id, role);
    return { key: issued.key, userId: issued.userId };
  };
  keys = {
    developer: await k('developer'),
    approver: await k('approver'),
    approver2: await k('approver'),
    viewer: await k('viewer'),
    admin2: await k('admin'),
  };
}, 120_000);
afterAll(async () => {
  await platform?.stop();
  await mcpHttp?.stop();
});

const invoke = (key: string, body: unknown, opts: { wait?: number; idempotencyKey?: string; agentId?: string } = {}) =>
  call(`${url()}/v1/agents/${opts.agentId ?? agentId}/invoke${opts.wait ? `?wait=${opts.wait}` : ''}`, {
    method: 'POST',
    key,
    json: body,
    headers: opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {},
  });
const approve = (key: string, approvalId: string, decision: 'approve' | 'deny' = 'approve', comment?: string) =>
  call(`${url()}/v1/approvals/${approvalId}/${decision}`, { method: 'POST', key, json: comment ? { comment } : {} });
const notesCalled = async (note: string) =>
  (await mcpHttp.calls()).filter((c) => c.tool === 'record' && c.arguments.note === note);

/** An org of its own with an agent whose `sum` adds on the test HTTP server, for tests that count or list the org's invocations. */
async function sumOrg(name: string) {
  const own = await createOrg(platform.db, name);
  const { agentId: ownAgentId } = await createServerAndAgent(
    url(),
    own.adminKey,
    { name: 'testhttp', transport: 'http', url: mcpHttp.url },
    { name: 'sum-agent', capabilities: [{ name: 'sum', tool: 'add', risk: 'low' }] },
  );
  const developer = await userWithRole(platform.db, own.org.id, 'developer');
  return { orgId: own.org.id, adminKey: own.adminKey, agentId: ownAgentId, developer };
}

describe('invoking a capability', () => {
  it('runs a low-risk capability end to end over stdio and records the decision, result and audit trail', async () => {
    const r = await invoke(
      keys.developer.key,
      { capability: 'say', input: { message: 'hello from collexa' } },
      { wait: 30 },
    );
    expect(r.status, r.text).toBe(200);
    expect(r.json.status).toBe('succeeded');
    expect(r.json.decision).toMatchObject({ allow: true, requireApproval: false });
    expect(r.json.decision.policyVersion).toMatch(/^sha256:/);
    expect(JSON.stringify(r.json.result.content)).toContain('hello from collexa');
    expect(r.json.timings.completedAt).toBeTruthy();
    const audit = await call(`${url()}/v1/audit?invocationId=${r.json.invocationId}`, { key: org.adminKey });
    expect(audit.json.data.map((e: { action: string }) => e.action).reverse()).toEqual([
      'policy.decided',
      'tool.called',
      'invocation.succeeded',
    ]); // newest first
  });

  it('returns structuredContent and passes the invocation id to the server as idempotency key (HTTP transport)', async () => {
    const r = await invoke(keys.developer.key, { capability: 'sum', input: { a: 2, b: 40 } }, { wait: 30 });
    expect(r.json.status).toBe('succeeded');
    expect(r.json.result.structuredContent).toEqual({ sum: 42 });
    const seen = (await mcpHttp.calls()).find(
      (c) => c.tool === 'add' && c.meta?.idempotencyKey === r.json.invocationId,
    );
    expect(seen).toBeTruthy();
  });

  it('answers 202 at once without ?wait, and the invocation can be followed', async () => {
    const r = await invoke(keys.developer.key, { capability: 'sum', input: { a: 1, b: 1 } });
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({
      invocationId: expect.any(String),
      status: 'running',
      links: { self: `/v1/invocations/${r.json.invocationId}` },
    });
    await waitForStatus(url(), keys.developer.key, r.json.invocationId, 'succeeded');
  });

  it('rejects input that breaks the tool’s JSON Schema with 400 before any workflow starts', async () => {
    const own = await sumOrg('invoke-schema');
    const before = await platform
      .db('invocations')
      .where({ org_id: own.orgId })
      .count<{ count: string }[]>('* as count');
    const r = await invoke(own.developer.key, { capability: 'sum', input: { a: 'two' } }, { agentId: own.agentId });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('invalid_input');
    expect(r.json.error.details.errors.length).toBeGreaterThan(0);
    const after = await platform
      .db('invocations')
      .where({ org_id: own.orgId })
      .count<{ count: string }[]>('* as count');
    expect(after[0]!.count).toBe(before[0]!.count);
  });

  it('rejects an unknown capability with 400 and another org’s agent with 404', async () => {
    expect((await invoke(keys.developer.key, { capability: 'nope', input: {} })).json.error.code).toBe(
      'unknown_capability',
    );
    const other = await createOrg(platform.db, 'other');
    const r = await call(`${url()}/v1/agents/${agentId}/invoke`, {
      method: 'POST',
      key: other.adminKey,
      json: { capability: 'say', input: { message: 'x' } },
    });
    expect(r.status).toBe(404);
  });

  it('denies a viewer by policy and never calls the tool', async () => {
    const r = await invoke(keys.viewer.key, { capability: 'note', input: { note: 'viewer-note' } }, { wait: 30 });
    expect(r.json.status).toBe('denied');
    expect(r.json.decision.allow).toBe(false);
    expect(r.json.error.code).toBe('policy_denied');
    expect(r.json.error.message).toMatch(/viewer/i);
    expect(await notesCalled('viewer-note')).toEqual([]);
  });

  it('replays the same invocation for the same Idempotency-Key and body, and answers 409 for a different body', async () => {
    const key = `idem-${Date.now()}`;
    const first = await invoke(
      keys.developer.key,
      { capability: 'sum', input: { a: 3, b: 4 } },
      { idempotencyKey: key, wait: 30 },
    );
    const again = await invoke(
      keys.developer.key,
      { capability: 'sum', input: { b: 4, a: 3 } },
      { idempotencyKey: key },
    );
    expect(again.json.invocationId).toBe(first.json.invocationId);
    expect(again.json.status).toBe('succeeded');
    expect((await mcpHttp.calls()).filter((c) => c.meta?.idempotencyKey === first.json.invocationId)).toHaveLength(1);
    const clash = await invoke(
      keys.developer.key,
      { capability: 'sum', input: { a: 3, b: 5 } },
      { idempotencyKey: key },
    );
    expect(clash.status).toBe(409);
    expect(clash.json.error.details.invocationId).toBe(first.json.invocationId);
  });

  it('fails with the tool’s message when the tool reports an error, without retrying', async () => {
    const r = await invoke(
      keys.developer.key,
      { capability: 'broken', input: { message: 'disk on fire' } },
      { wait: 30 },
    );
    expect(r.json.status).toBe('failed');
    expect(r.json.error).toMatchObject({ code: 'tool_error', message: 'disk on fire' });
    expect(
      (await mcpHttp.calls()).filter((c) => c.tool === 'fail' && c.arguments.message === 'disk on fire'),
    ).toHaveLength(1);
  });

  it('closes a failed invocation’s workflow as FAILED (its code as the type); a denied one completes, CollexaStatus denied', async () => {
    const failed = await invoke(
      keys.developer.key,
      { capability: 'broken', input: { message: 'temporal should know' } },
      { wait: 30 },
    );
    expect(failed.json).toMatchObject({ status: 'failed', error: { code: 'tool_error' } });
    const handle = platform.client.workflow.getHandle(failed.json.workflowId);
    const failure = await handle.result().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toMatchObject({
      type: 'tool_error',
      message: 'temporal should know',
      nonRetryable: true,
    });
    const described = await handle.describe();
    expect(described.status.name).toBe('FAILED');
    expect(described.typedSearchAttributes.get(StatusKey)).toBe('failed');

    const denied = await invoke(keys.viewer.key, { capability: 'note', input: { note: 'sa-denied' } }, { wait: 30 });
    expect(denied.json.status).toBe('denied');
    const deniedRun = await platform.client.workflow.getHandle(denied.json.workflowId).describe();
    expect(deniedRun.status.name).toBe('COMPLETED');
    expect(deniedRun.typedSearchAttributes.get(StatusKey)).toBe('denied');
  });

  it('keeps the search attributes its starter set, and sets them itself for a starter that did not', async () => {
    const eventsOf = async (workflowId: string) =>
      (await platform.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const upsertedKeys = (events: Awaited<ReturnType<typeof eventsOf>>) =>
      events.flatMap((e) =>
        Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}),
      );

    // Through the API: set at start, so the workflow upserts only the status it reaches.
    const viaApi = await invoke(keys.developer.key, { capability: 'sum', input: { a: 1, b: 2 } }, { wait: 30 });
    expect(viaApi.json.status).toBe('succeeded');
    expect(upsertedKeys(await eventsOf(viaApi.json.workflowId))).not.toContain(OrgIdKey.name);
    const described = await platform.client.workflow.getHandle(viaApi.json.workflowId).describe();
    expect(described.typedSearchAttributes.get(OrgIdKey)).toBe(org.org.id);
    expect(described.typedSearchAttributes.get(StatusKey)).toBe('succeeded');

    // Started without any (a starter that is not ours): the workflow sets all four itself.
    const { row } = await new InvocationRecorder(platform.db).record(
      { orgId: org.org.id, userId: keys.developer.userId, keyId: 'test' },
      { agentId, capability: 'sum', input: { a: 2, b: 2 } },
    );
    const handle = await platform.client.workflow.start(INVOKE_CAPABILITY_WORKFLOW, {
      taskQueue: platform.taskQueue,
      workflowId: row.workflow_id,
      args: [invokeInputOf(row, 60_000)],
    });
    await expect(handle.result()).resolves.toMatchObject({ status: 'succeeded' });
    expect(upsertedKeys(await eventsOf(row.workflow_id))).toContain(OrgIdKey.name);
    const bare = (await handle.describe()).typedSearchAttributes;
    expect([bare.get(OrgIdKey), bare.get(AgentIdKey), bare.get(CapabilityKey), bare.get(StatusKey)]).toEqual([
      org.org.id,
      agentId,
      'sum',
      'succeeded',
    ]);
  });

  it('lists invocations with filters and a cursor', async () => {
    // Its own org and invocations: the list holds only what this test made.
    const own = await sumOrg('invoke-list');
    for (const a of [1, 2, 3])
      expect(
        (await invoke(own.developer.key, { capability: 'sum', input: { a, b: 1 } }, { agentId: own.agentId, wait: 30 }))
          .json.status,
      ).toBe('succeeded');
    const page1 = await call(`${url()}/v1/invocations?agentId=${own.agentId}&status=succeeded&limit=2`, {
      key: own.adminKey,
    });
    expect(page1.json.data).toHaveLength(2);
    expect(page1.json.data.every((i: { status: string }) => i.status === 'succeeded')).toBe(true);
    const page2 = await call(
      `${url()}/v1/invocations?agentId=${own.agentId}&status=succeeded&limit=2&cursor=${page1.json.nextCursor}`,
      { key: own.adminKey },
    );
    const ids1 = page1.json.data.map((i: { invocationId: string }) => i.invocationId);
    expect(page2.json.data).toHaveLength(1);
    for (const i of page2.json.data) expect(ids1).not.toContain(i.invocationId);
    expect((await call(`${url()}/v1/invocations?cursor=garbage`, { key: own.adminKey })).status).toBe(400);
    expect((await call(`${url()}/v1/invocations?status=exploded`, { key: own.adminKey })).status).toBe(400);
  });
});

describe('approval gate', () => {
  async function pendingHighRisk(note: string, key = keys.developer.key) {
    const r = await invoke(key, { capability: 'note', input: { note } });
    expect(r.status, r.text).toBe(202);
    const pending = await waitForStatus(url(), key, r.json.invocationId, 'pending_approval');
    expect(pending.approval).toMatchObject({ status: 'pending', approverRoles: expect.arrayContaining(['approver']) });
    return pending as { invocationId: string; approval: { id: string } };
  }

  it('holds a high-risk call until an approver approves, then runs it once', async () => {
    const inv = await pendingHighRisk('approved-note');
    expect(await notesCalled('approved-note')).toEqual([]);
    const listed = await call(`${url()}/v1/approvals?status=pending`, { key: keys.approver.key });
    expect(listed.json.data.map((a: { id: string }) => a.id)).toContain(inv.approval.id);
    const ok = await approve(keys.approver.key, inv.approval.id, 'approve', 'looks fine');
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json).toMatchObject({ status: 'approved', decidedBy: keys.approver.userId, comment: 'looks fine' });
    const done = await waitForStatus(url(), keys.developer.key, inv.invocationId, 'succeeded');
    expect(done.approval.status).toBe('approved');
    expect(await notesCalled('approved-note')).toHaveLength(1);
    const actions = (await call(`${url()}/v1/audit?invocationId=${inv.invocationId}`, { key: org.adminKey })).json.data
      .map((e: { action: string }) => e.action)
      .reverse(); // newest first
    expect(actions).toEqual([
      'policy.decided',
      'approval.requested',
      'approval.approved',
      'tool.called',
      'invocation.succeeded',
    ]);
    // Decided is decided: a second decision is a conflict.
    expect((await approve(keys.approver2.key, inv.approval.id, 'deny')).status).toBe(409);
  });

  it('denied → the invocation is denied and the tool is never called', async () => {
    const inv = await pendingHighRisk('denied-note');
    const r = await approve(keys.approver.key, inv.approval.id, 'deny', 'not today');
    expect(r.json.status, r.text).toBe('denied');
    const done = await waitForStatus(url(), keys.developer.key, inv.invocationId, 'denied');
    expect(done.error).toMatchObject({ code: 'approval_denied', message: 'not today' });
    expect(await notesCalled('denied-note')).toEqual([]);
  });

  it('rejects self-approval, a viewer, a developer and another org’s approver with clear 4xx', async () => {
    const inv = await pendingHighRisk('guarded-note', keys.approver.key);
    const self = await approve(keys.approver.key, inv.approval.id);
    expect(self.status, self.text).toBe(403);
    expect(self.json.error.code).toBe('self_approval');
    const viewer = await approve(keys.viewer.key, inv.approval.id);
    expect(viewer.status).toBe(403);
    expect(viewer.json.error.code).toBe('approver_role_forbidden');
    expect((await approve(keys.developer.key, inv.approval.id)).status).toBe(403);
    const other = await createOrg(platform.db, 'foreign');
    const otherApprover = await userWithRole(platform.db, other.org.id, 'approver');
    expect((await approve(otherApprover.key, inv.approval.id)).status).toBe(404);
    // None of that decided anything: a legitimate approver still can.
    expect((await approve(keys.approver2.key, inv.approval.id)).json.status).toBe('approved');
    await waitForStatus(url(), keys.approver.key, inv.invocationId, 'succeeded');
  });

  it('re-checks the token’s approver against the database and policy, failing the update with a typed rejection', async () => {
    const inv = await pendingHighRisk('demoted-note');
    const demoted = await userWithRole(platform.db, org.org.id, 'approver');
    const token = await call(`${url()}/v1/approvals/${inv.approval.id}/decision-token`, {
      method: 'POST',
      key: demoted.key,
      json: { decision: 'approve' },
    });
    expect(token.status, token.text).toBe(201);
    await platform.db('users').where({ id: demoted.userId }).update({ role: 'viewer' });
    // The token still says approver, so it passes the validator...
    const stale = platform.client.workflow
      .getHandle(`approval-${inv.approval.id}`)
      .executeUpdate('decide', { args: [{ decision: 'approve', token: token.json.token }] });
    // ...and is refused by the database + policy check, with the policy's type (the API maps it to 403).
    await expect(stale).rejects.toMatchObject({ cause: { type: 'approver_policy_denied' } });
    expect((await call(`${url()}/v1/approvals/${inv.approval.id}`, { key: keys.approver.key })).json.status).toBe(
      'pending',
    );
    await approve(keys.approver.key, inv.approval.id, 'deny');
  });

  it('needs an admin for a critical capability, and the admin must not be the requester', async () => {
    const r = await invoke(keys.developer.key, { capability: 'note_critical', input: { note: 'critical-note' } });
    const pending = await waitForStatus(url(), keys.developer.key, r.json.invocationId, 'pending_approval');
    expect(pending.approval.approverRoles).toEqual(['admin']);
    expect((await approve(keys.approver.key, pending.approval.id)).status).toBe(403);
    expect((await approve(keys.admin2.key, pending.approval.id)).json.status).toBe('approved');
    await waitForStatus(url(), keys.developer.key, r.json.invocationId, 'succeeded');
  });

  it('makes pending invocations findable by search attributes (as in the Temporal UI)', async () => {
    const inv = await pendingHighRisk('searchable-note');
    const query = `CollexaOrgId="${org.org.id}" AND CollexaStatus="pending_approval" AND CollexaCapability="note"`;
    const listed = async () => {
      const found: string[] = [];
      for await (const wf of platform.client.workflow.list({ query })) found.push(wf.workflowId);
      return found;
    };
    // Visibility is eventually consistent: the search attributes show up a moment after they are set.
    const found = await waitFor(listed, (ids) => ids.some((id) => id.endsWith(inv.invocationId)), {
      what: 'the pending invocation in a search-attribute query',
      timeoutMs: 15_000,
      intervalMs: 200,
    });
    expect(found.some((id) => id.endsWith(inv.invocationId))).toBe(true);
    await approve(keys.approver.key, inv.approval.id, 'deny');
  });

  it('cancels a pending invocation and its approval', async () => {
    const inv = await pendingHighRisk('cancelled-note');
    const r = await call(`${url()}/v1/invocations/${inv.invocationId}/cancel`, {
      method: 'POST',
      key: keys.developer.key,
    });
    expect(r.json.status).toBe('cancelled');
    expect((await call(`${url()}/v1/approvals/${inv.approval.id}`, { key: keys.approver.key })).json.status).toBe(
      'cancelled',
    );
    expect(
      (await call(`${url()}/v1/invocations/${inv.invocationId}/cancel`, { method: 'POST', key: keys.developer.key }))
        .status,
    ).toBe(409);
    expect(await notesCalled('cancelled-note')).toEqual([]);
  });

  it('runs a standalone approval (budget_override) through the same workflow', async () => {
    const created = await call(`${url()}/v1/approvals`, {
      method: 'POST',
      key: keys.developer.key,
      json: { subjectType: 'budget_override', subjectId: 'budget-q4', context: { amount: 5000 }, expiresIn: 3600 },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({
      status: 'pending',
      subjectType: 'budget_override',
      context: { amount: 5000 },
    });
    expect((await approve(keys.developer.key, created.json.id)).status).toBe(403);
    expect((await approve(keys.approver.key, created.json.id)).json.status).toBe('approved');
    expect(
      (
        await call(`${url()}/v1/approvals`, {
          method: 'POST',
          key: keys.developer.key,
          json: { subjectType: 'Bad Type', subjectId: 'x' },
        })
      ).status,
    ).toBe(400);
  });
});
