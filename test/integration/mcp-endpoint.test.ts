// Agents over MCP on the real path: an MCP SDK client → /mcp → InvocationService → Temporal workflow →
// OPA → approval → our HTTP test MCP server.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { createServerAndAgent, startPlatform, userWithRole, waitForStatus } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

const ALLOWED_ORIGIN = 'https://console.example.com';
const APPROVAL_WAIT_MS = 2500;

let platform: Awaited<ReturnType<typeof startPlatform>>;
let mcpHttp: HttpMcpServer;
let org: Awaited<ReturnType<typeof createOrg>>;
let agentId: string;
let keys: Record<'developer' | 'approver' | 'viewer', { key: string; userId: string }>;
const clients: Client[] = [];

const url = () => platform.url;

beforeAll(async () => {
  mcpHttp = await startHttpMcpServer();
  platform = await startPlatform({
    mcpEndpoint: { approvalWaitMs: APPROVAL_WAIT_MS, allowedOrigins: [ALLOWED_ORIGIN] },
  });
  org = await createOrg(platform.db, 'mcp-endpoint');
  const server = await call(`${url()}/v1/mcp-servers`, {
    method: 'POST',
    key: org.adminKey,
    json: { name: 'testhttp', transport: 'http', url: mcpHttp.url },
  });
  expect(server.status, server.text).toBe(201);
  agentId = await createAgent(org.adminKey, 'ops-agent', [
    { name: 'sum', server: 'testhttp', tool: 'add', risk: 'low', description: 'Adds two numbers for ops' },
    { name: 'echo', server: 'testhttp', tool: 'echo', risk: 'medium' },
    { name: 'note', server: 'testhttp', tool: 'record', risk: 'high' },
  ]);
  await createAgent(org.adminKey, 'helper', [{ name: 'say', server: 'testhttp', tool: 'echo', risk: 'low' }]);
  const k = async (role: 'developer' | 'approver' | 'viewer') => {
    const issued = await userWithRole(platform.db, org.org.id, role);
    return { key: issued.key, userId: issued.userId };
  };
  keys = { developer: await k('developer'), approver: await k('approver'), viewer: await k('viewer') };
}, 120_000);
afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await platform?.stop();
  await mcpHttp?.stop();
});

async function createAgent(key: string, name: string, capabilities: object[]) {
  const r = await call(`${url()}/v1/agents`, { method: 'POST', key, json: { name, capabilities } });
  expect(r.status, r.text).toBe(201);
  return r.json.id as string;
}

/** An MCP SDK client on `path` (e.g. /mcp/<agentId>) with the key as bearer token, as an MCP host would configure it. */
async function connect(path: string, key: string) {
  const client = new Client({ name: 'collexa-test-host', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${url()}${path}`), {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
  });
  await client.connect(transport);
  clients.push(client);
  return client;
}

/** A raw `initialize` POST, to look at HTTP-level answers. */
const initialize = (path: string, headers: Record<string, string>) =>
  call(`${url()}${path}`, {
    method: 'POST',
    headers: { accept: 'application/json, text/event-stream', ...headers },
    json: {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    },
  });

const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
const recorded = async (note: string) =>
  (await mcpHttp.calls()).filter((c) => c.tool === 'record' && c.arguments.note === note);

describe('an agent over MCP (/mcp/:agentId)', () => {
  it('lists the capabilities as tools with their pinned schemas and annotations, plus the status tool', async () => {
    const client = await connect(`/mcp/${agentId}`, keys.developer.key);
    expect(client.getServerVersion()).toMatchObject({ name: 'collexa', title: 'Collexa agent ops-agent' });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['echo', 'note', 'sum', 'collexa_invocation_status']);
    const pinned = (await call(`${url()}/v1/agents/${agentId}`, { key: keys.developer.key })).json.capabilities as {
      name: string;
      inputSchema: unknown;
    }[];
    for (const cap of pinned) expect(tools.find((t) => t.name === cap.name)!.inputSchema).toEqual(cap.inputSchema);
    const sum = tools.find((t) => t.name === 'sum')!;
    expect(sum.description).toBe('Adds two numbers for ops');
    expect(sum.inputSchema).toMatchObject({
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
      required: ['a', 'b'],
    });
    expect(sum.annotations).toEqual({ idempotentHint: true, title: 'sum' });
    expect(sum.outputSchema).toBeUndefined();
    expect(sum._meta).toMatchObject({ 'collexa/risk': 'low', 'collexa/agentId': agentId });
    expect(tools.find((t) => t.name === 'echo')!.annotations).toMatchObject({ readOnlyHint: true });
    expect(tools.find((t) => t.name === 'collexa_invocation_status')!.inputSchema.required).toEqual(['invocationId']);
  });

  it('runs a low-risk call through the invocation workflow and returns the tool’s result', async () => {
    const client = await connect(`/mcp/${agentId}`, keys.developer.key);
    const r = (await client.callTool({ name: 'sum', arguments: { a: 2, b: 40 } })) as CallToolResult;
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toEqual({ sum: 42 });
    expect(textOf(r)).toBe('42');
    const invocationId = r._meta!['collexa/invocationId'] as string;
    const inv = await call(`${url()}/v1/invocations/${invocationId}`, { key: keys.developer.key });
    expect(inv.json).toMatchObject({
      status: 'succeeded',
      capability: 'sum',
      agentId,
      requestedBy: keys.developer.userId,
      decision: { allow: true },
    });
    const audit = await call(`${url()}/v1/audit?invocationId=${invocationId}`, { key: org.adminKey });
    expect(audit.json.data.map((e: { action: string }) => e.action).reverse()).toEqual([
      'policy.decided',
      'tool.called',
      'invocation.succeeded',
    ]); // newest first
    expect(
      (await mcpHttp.calls()).filter((c) => c.tool === 'add' && c.meta?.idempotencyKey === invocationId),
    ).toHaveLength(1);
  });

  it('answers input that breaks the schema with a tool error listing the problems, and starts nothing', async () => {
    // An org of its own: it counts the org's invocations.
    const own = await createOrg(platform.db, 'mcp-endpoint-schema');
    const { agentId: ownAgentId } = await createServerAndAgent(
      url(),
      own.adminKey,
      { name: 'testhttp', transport: 'http', url: mcpHttp.url },
      { name: 'sum-agent', capabilities: [{ name: 'sum', tool: 'add', risk: 'low' }] },
    );
    const developer = await userWithRole(platform.db, own.org.id, 'developer');
    const before = await platform
      .db('invocations')
      .where({ org_id: own.org.id })
      .count<{ count: string }[]>('* as count');
    const r = (await (
      await connect(`/mcp/${ownAgentId}`, developer.key)
    ).callTool({ name: 'sum', arguments: { a: 'two' } })) as CallToolResult;
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain('does not match the tool’s input schema: ');
    expect(textOf(r)).toContain('/a must be number');
    expect(textOf(r)).toContain("/ must have required property 'b'");
    expect(r.structuredContent).toMatchObject({
      error: { code: 'invalid_input', details: { errors: expect.any(Array) } },
    });
    const after = await platform
      .db('invocations')
      .where({ org_id: own.org.id })
      .count<{ count: string }[]>('* as count');
    expect(after[0]!.count).toBe(before[0]!.count);
  });

  it('answers an unknown tool with the standard protocol error', async () => {
    const client = await connect(`/mcp/${agentId}`, keys.developer.key);
    await expect(client.callTool({ name: 'say', arguments: {} })).rejects.toMatchObject({
      code: -32602,
      message: expect.stringContaining('Tool say not found'),
    });
  });

  it('reports progress while a high-risk call waits for approval, answers pending, and the status tool gives the outcome after approval', async () => {
    const client = await connect(`/mcp/${agentId}`, keys.developer.key);
    const progress: Progress[] = [];
    const started = Date.now();
    const pending = (await client.callTool({ name: 'note', arguments: { note: 'mcp-approved-note' } }, undefined, {
      onprogress: (p) => progress.push(p),
    })) as CallToolResult;
    expect(Date.now() - started).toBeGreaterThanOrEqual(APPROVAL_WAIT_MS - 100);
    expect(pending.isError).toBeFalsy();
    const { invocationId, approvalId } = pending.structuredContent as { invocationId: string; approvalId: string };
    expect(pending.structuredContent).toEqual({
      status: 'pending_approval',
      invocationId: expect.any(String),
      approvalId: expect.any(String),
    });
    expect(textOf(pending)).toContain(`pending approval ${approvalId}`);
    expect(textOf(pending)).toContain(invocationId);
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.every((p) => p.message === `waiting for approval ${approvalId}`)).toBe(true);
    expect(progress.map((p) => p.progress)).toEqual(progress.map((_, i) => i + 1));
    expect(await recorded('mcp-approved-note')).toEqual([]);

    const still = (await client.callTool({
      name: 'collexa_invocation_status',
      arguments: { invocationId },
    })) as CallToolResult;
    expect(still.structuredContent).toMatchObject({ status: 'pending_approval', approvalId });

    const ok = await call(`${url()}/v1/approvals/${approvalId}/approve`, {
      method: 'POST',
      key: keys.approver.key,
      json: {},
    });
    expect(ok.status, ok.text).toBe(200);
    await waitForStatus(url(), keys.developer.key, invocationId, 'succeeded');
    const done = (await client.callTool({
      name: 'collexa_invocation_status',
      arguments: { invocationId },
    })) as CallToolResult;
    expect(done.isError).toBeFalsy();
    expect(textOf(done)).toBe('recorded: mcp-approved-note');
    expect(done._meta).toMatchObject({ 'collexa/invocationId': invocationId, 'collexa/status': 'succeeded' });
    expect(await recorded('mcp-approved-note')).toHaveLength(1);
    const audit = await call(`${url()}/v1/audit?invocationId=${invocationId}`, { key: org.adminKey });
    expect(audit.json.data.map((e: { action: string }) => e.action).reverse()).toEqual([
      'policy.decided',
      'approval.requested',
      'approval.approved',
      'tool.called',
      'invocation.succeeded',
    ]); // newest first
  });

  // A caller that goes away (its connection drops) or cancels (notifications/cancelled, a POST of its own on
  // this stateless endpoint) before it is answered holds no handle: a call that ran nothing is cancelled.
  for (const how of ['disconnects', 'cancels the request'] as const) {
    it(`cancels a high-risk call whose caller ${how} before it is answered, and never calls the tool`, async () => {
      const client = await connect(`/mcp/${agentId}`, keys.developer.key);
      const note = `mcp-abandoned-${how.length}-${Date.now()}`;
      const stop = new AbortController();
      const answered = client.callTool({ name: 'note', arguments: { note } }, undefined, { signal: stop.signal });
      const isNote = (a: { context: { capability?: string }; requestedBy: string }) =>
        a.context.capability === 'note' && a.requestedBy === keys.developer.userId;
      // Well inside the endpoint's wait, so no answer was sent yet.
      const open = await waitFor(
        () => call(`${url()}/v1/approvals?status=pending`, { key: keys.approver.key }),
        (r) => r.json?.data?.some(isNote) === true,
        { what: 'the abandoned call to wait for its approval', timeoutMs: 10_000 },
      );
      const approval = open.json.data.find(isNote);
      if (how === 'disconnects') await client.close();
      else stop.abort();
      await expect(answered).rejects.toThrow();
      await waitForStatus(url(), keys.developer.key, approval.invocationId, 'cancelled');
      const closed = await call(`${url()}/v1/approvals/${approval.id}`, { key: keys.approver.key });
      expect(closed.json.status).toBe('cancelled');
      const audit = await call(`${url()}/v1/audit?invocationId=${approval.invocationId}`, { key: org.adminKey });
      expect(audit.json.data.map((e: { action: string; actor: string }) => [e.action, e.actor])).toContainEqual([
        'invocation.cancel_requested',
        `user:${keys.developer.userId}`,
      ]);
      expect(await recorded(note)).toEqual([]);
    });
  }

  it('denies a viewer by policy with a tool error naming the invocation, and never calls the tool', async () => {
    const r = (await (
      await connect(`/mcp/${agentId}`, keys.viewer.key)
    ).callTool({ name: 'note', arguments: { note: 'mcp-viewer-note' } })) as CallToolResult;
    expect(r.isError).toBe(true);
    expect(r.structuredContent).toMatchObject({
      status: 'denied',
      invocationId: expect.any(String),
      error: { code: 'policy_denied' },
    });
    expect(textOf(r)).toMatch(/denied: .*viewer/i);
    expect(await recorded('mcp-viewer-note')).toEqual([]);
  });

  it('replays the same invocation for the same _meta.idempotencyKey', async () => {
    const client = await connect(`/mcp/${agentId}`, keys.developer.key);
    const idempotencyKey = `mcp-idem-${Date.now()}`;
    const first = (await client.callTool({
      name: 'sum',
      arguments: { a: 1, b: 2 },
      _meta: { idempotencyKey },
    })) as CallToolResult;
    const again = (await client.callTool({
      name: 'sum',
      arguments: { b: 2, a: 1 },
      _meta: { idempotencyKey },
    })) as CallToolResult;
    expect(again._meta!['collexa/invocationId']).toBe(first._meta!['collexa/invocationId']);
    expect(
      (await mcpHttp.calls()).filter((c) => c.meta?.idempotencyKey === first._meta!['collexa/invocationId']),
    ).toHaveLength(1);
    const clash = (await client.callTool({
      name: 'sum',
      arguments: { a: 1, b: 3 },
      _meta: { idempotencyKey },
    })) as CallToolResult;
    expect(clash.isError).toBe(true);
    expect(clash.structuredContent).toMatchObject({ error: { code: 'conflict' } });
  });

  it('answers the status tool with a tool error for an id that is not in the caller’s org', async () => {
    const client = await connect(`/mcp/${agentId}`, keys.developer.key);
    for (const invocationId of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const r = (await client.callTool({
        name: 'collexa_invocation_status',
        arguments: { invocationId },
      })) as CallToolResult;
      expect(r.isError).toBe(true);
      expect(r.structuredContent).toMatchObject({ error: { code: 'not_found' } });
    }
  });
});

describe('the org-wide endpoint (/mcp)', () => {
  it('serves every agent’s capabilities as agent__capability tools and runs them', async () => {
    const client = await connect('/mcp', keys.developer.key);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual([
      'ops-agent__echo',
      'ops-agent__note',
      'ops-agent__sum',
      'helper__say',
      'collexa_invocation_status',
    ]);
    expect(tools.find((t) => t.name === 'helper__say')!.annotations).toEqual({
      readOnlyHint: true,
      title: 'helper: say',
    });
    const r = (await client.callTool({
      name: 'helper__say',
      arguments: { text: 'hi from the org endpoint' },
    })) as CallToolResult;
    expect(r.structuredContent).toEqual({ text: 'hi from the org endpoint' });
    const inv = await call(`${url()}/v1/invocations/${r._meta!['collexa/invocationId']}`, { key: keys.developer.key });
    expect(inv.json).toMatchObject({ status: 'succeeded', capability: 'say' });
  });

  it('shows another org none of these agents', async () => {
    const other = await createOrg(platform.db, 'mcp-other');
    const { tools } = await (await connect('/mcp', other.adminKey)).listTools();
    expect(tools.map((t) => t.name)).toEqual(['collexa_invocation_status']);
  });
});

describe('the HTTP edge of /mcp', () => {
  it('needs a valid API key (401 with the error envelope)', async () => {
    const missing = await initialize(`/mcp/${agentId}`, {});
    expect(missing.status).toBe(401);
    expect(missing.json.error).toMatchObject({ code: 'unauthorized', details: { reason: 'missing' } });
    expect((await initialize('/mcp', { authorization: 'Bearer clx_nope' })).json.error.details.reason).toMatch(
      /malformed|unknown/,
    );
    await expect(connect(`/mcp/${agentId}`, 'not-a-key')).rejects.toMatchObject({ code: 401 });
  });

  it('refuses a browser Origin that is not allowed (403) and accepts an allowed one', async () => {
    const evil = await initialize(`/mcp/${agentId}`, {
      authorization: `Bearer ${keys.developer.key}`,
      origin: 'https://evil.example',
    });
    expect(evil.status).toBe(403);
    expect(evil.json.error).toMatchObject({ code: 'origin_not_allowed', details: { origin: 'https://evil.example' } });
    const allowed = await initialize(`/mcp/${agentId}`, {
      authorization: `Bearer ${keys.developer.key}`,
      origin: ALLOWED_ORIGIN,
    });
    expect(allowed.status, allowed.text).toBe(200);
    expect(allowed.text).toContain('"serverInfo"');
  });

  it('answers 404 for another org’s agent and 405 for GET and DELETE', async () => {
    const other = await createOrg(platform.db, 'mcp-foreign');
    const foreign = await initialize(`/mcp/${agentId}`, { authorization: `Bearer ${other.adminKey}` });
    expect(foreign.status).toBe(404);
    expect(foreign.json.error.code).toBe('not_found');
    expect((await initialize('/mcp/not-a-uuid', { authorization: `Bearer ${keys.developer.key}` })).status).toBe(404);
    for (const method of ['GET', 'DELETE']) {
      const r = await call(`${url()}/mcp/${agentId}`, { method, key: keys.developer.key });
      expect(r.status).toBe(405);
      expect(r.headers.get('allow')).toBe('POST');
      expect(r.json.error.code).toBe('method_not_allowed');
    }
  });
});
