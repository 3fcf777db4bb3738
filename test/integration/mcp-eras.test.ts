// Both protocol eras on one endpoint, on the real path: the MCP SDK v2 client in 2026-07-28 mode (it
// probes with server/discover) and in 2025 mode (initialize) lists and calls an agent's tools.
// mcp-modern-edge.test.ts has the raw HTTP edge of 2026-07-28; mcp-endpoint.test.ts the v1 (2025) client.
import {
  Client,
  StreamableHTTPClientTransport,
  type CallToolResult,
  type Progress,
} from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolDefinitionHash } from '../../core/mcp/tool-pin.js';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { startPlatform, userWithRole, waitForStatus } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

const APPROVAL_WAIT_MS = 1500;

let platform: Awaited<ReturnType<typeof startPlatform>>;
let mcpHttp: HttpMcpServer;
let org: Awaited<ReturnType<typeof createOrg>>;
let agentId: string;
let developer: string;
let approver: string;
let viewer: string;
const clients: Client[] = [];

const url = () => platform.url;

beforeAll(async () => {
  mcpHttp = await startHttpMcpServer();
  platform = await startPlatform({ mcpEndpoint: { approvalWaitMs: APPROVAL_WAIT_MS } });
  org = await createOrg(platform.db, 'mcp-eras');
  const server = await call(`${url()}/v1/mcp-servers`, {
    method: 'POST',
    key: org.adminKey,
    json: { name: 'testhttp', transport: 'http', url: mcpHttp.url },
  });
  expect(server.status, server.text).toBe(201);
  const agent = await call(`${url()}/v1/agents`, {
    method: 'POST',
    key: org.adminKey,
    json: {
      name: 'eras-agent',
      capabilities: [
        { name: 'sum', server: 'testhttp', tool: 'add', risk: 'low' },
        // The same tool (it has an outputSchema) behind an approval.
        { name: 'guarded_sum', server: 'testhttp', tool: 'add', risk: 'high' },
        { name: 'echo', server: 'testhttp', tool: 'echo', risk: 'low' },
        { name: 'note', server: 'testhttp', tool: 'record', risk: 'high' },
      ],
    },
  });
  expect(agent.status, agent.text).toBe(201);
  agentId = agent.json.id;
  developer = (await userWithRole(platform.db, org.org.id, 'developer')).key;
  approver = (await userWithRole(platform.db, org.org.id, 'approver')).key;
  viewer = (await userWithRole(platform.db, org.org.id, 'viewer')).key;
}, 120_000);
afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await platform?.stop();
  await mcpHttp?.stop();
});

/** An SDK v2 client on /mcp/<agentId>: `modern` negotiates (server/discover), `legacy` is the 2025 handshake. */
async function connect(era: 'modern' | 'legacy', key = developer, path = `/mcp/${agentId}`) {
  const client = new Client(
    { name: 'collexa-eras-test', version: '1.0.0' },
    era === 'modern' ? { versionNegotiation: { mode: 'auto' } } : {},
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url()}${path}`), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    }),
  );
  clients.push(client);
  expect(client.getProtocolEra()).toBe(era);
  return client;
}

const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
describe('a 2026-07-28 client (SDK v2, negotiated with server/discover)', () => {
  it('lists the tools sorted by name, each pinned definition passed through with its outputSchema', async () => {
    const client = await connect('modern');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['collexa_invocation_status', 'echo', 'guarded_sum', 'note', 'sum']);
    const caps = await platform.db('agent_capabilities').where({ agent_id: agentId }).orderBy('name');
    for (const cap of caps) {
      const served = tools.find((t) => t.name === cap.name)!;
      expect(served.inputSchema).toEqual(cap.tool_definition.inputSchema);
      expect(served.outputSchema).toEqual(cap.tool_definition.outputSchema);
      // The pin covers the outputSchema too: the definition the tool is served from is the pinned one.
      expect(toolDefinitionHash(cap.tool_definition)).toBe(cap.pinned_hash);
    }
    expect(tools.find((t) => t.name === 'sum')!.outputSchema).toMatchObject({
      type: 'object',
      properties: { sum: { type: 'number' } },
    });
    expect(tools.find((t) => t.name === 'note')!.outputSchema).toBeUndefined();
  });

  it('runs a call and returns the tool’s own result, which the client checks against the outputSchema', async () => {
    const client = await connect('modern');
    await client.listTools();
    const r = await client.callTool({ name: 'sum', arguments: { a: 20, b: 22 } });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toEqual({ sum: 42 });
    const invocationId = r._meta!['collexa/invocationId'] as string;
    const inv = await call(`${url()}/v1/invocations/${invocationId}`, { key: developer });
    expect(inv.json).toMatchObject({ status: 'succeeded', capability: 'sum', decision: { allow: true } });
  });

  it('answers a call still pending approval for a tool with an outputSchema as an error result naming it, with progress, and its outcome once approved', async () => {
    const client = await connect('modern');
    await client.listTools();
    const progress: Progress[] = [];
    const pending = await client.callTool(
      { name: 'guarded_sum', arguments: { a: 1, b: 2 } },
      { onprogress: (p) => progress.push(p) },
    );
    // Not the tool's output, so no structuredContent (it would break the outputSchema): Collexa's state is in _meta.
    expect(pending.isError).toBe(true);
    expect(pending.structuredContent).toBeUndefined();
    const details = pending._meta!['collexa/details'] as { invocationId: string; approvalId: string };
    expect(details).toEqual({
      status: 'pending_approval',
      invocationId: expect.any(String),
      approvalId: expect.any(String),
    });
    expect(pending._meta).toMatchObject({ 'collexa/status': 'pending_approval' });
    expect(textOf(pending)).toContain(`pending approval ${details.approvalId}`);
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.every((p) => p.message === `waiting for approval ${details.approvalId}`)).toBe(true);

    const ok = await call(`${url()}/v1/approvals/${details.approvalId}/approve`, {
      method: 'POST',
      key: approver,
      json: {},
    });
    expect(ok.status, ok.text).toBe(200);
    await waitForStatus(url(), developer, details.invocationId, 'succeeded');
    const done = await client.callTool({
      name: 'collexa_invocation_status',
      arguments: { invocationId: details.invocationId },
    });
    expect(done.isError).toBeFalsy();
    expect(done.structuredContent).toEqual({ sum: 3 });
  });

  it('keeps Collexa’s structuredContent for a tool without an outputSchema, and a denial is an error result', async () => {
    const denied = await (await connect('modern', viewer)).callTool({ name: 'note', arguments: { note: 'n' } });
    expect(denied.isError).toBe(true);
    expect(denied.structuredContent).toMatchObject({ status: 'denied', error: { code: 'policy_denied' } });
    const guarded = await (
      await connect('modern', viewer)
    ).callTool({ name: 'guarded_sum', arguments: { a: 1, b: 1 } });
    expect(guarded.isError).toBe(true);
    expect(guarded.structuredContent).toBeUndefined();
    expect(guarded._meta!['collexa/details']).toMatchObject({ status: 'denied', error: { code: 'policy_denied' } });
  });

  it('cancels a pending call whose caller aborts it (the stream closes), and never calls the tool', async () => {
    const client = await connect('modern');
    const note = `modern-abandoned-${Date.now()}`;
    const stop = new AbortController();
    const answered = client.callTool({ name: 'note', arguments: { note } }, { signal: stop.signal });
    // The only 'note' call of this file that waits for an approval.
    const isNote = (a: { context: { capability?: string } }) => a.context.capability === 'note';
    const open = await waitFor(
      () => call(`${url()}/v1/approvals?status=pending`, { key: approver }),
      (r) => r.json?.data?.some(isNote) === true,
      { what: 'the call to wait for its approval', timeoutMs: 10_000 },
    );
    const approval = open.json.data.find(isNote);
    stop.abort();
    await expect(answered).rejects.toThrow();
    await waitForStatus(url(), developer, approval.invocationId, 'cancelled');
    expect((await mcpHttp.calls()).filter((c) => c.arguments.note === note)).toEqual([]);
  });
});

describe('a 2025-era client (SDK v2 without negotiation)', () => {
  it('lists the tools in catalog order without outputSchema and runs a call', async () => {
    const client = await connect('legacy');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['echo', 'guarded_sum', 'note', 'sum', 'collexa_invocation_status']);
    expect(tools.every((t) => t.outputSchema === undefined)).toBe(true);
    const r = await client.callTool({ name: 'sum', arguments: { a: 2, b: 40 } });
    expect(r.structuredContent).toEqual({ sum: 42 });
    expect(r._meta).toMatchObject({ 'collexa/status': 'succeeded' });
  });

  it('answers a pending call as before: a normal result with Collexa’s structuredContent', async () => {
    const pending = await (await connect('legacy')).callTool({ name: 'guarded_sum', arguments: { a: 5, b: 5 } });
    expect(pending.isError).toBeFalsy();
    expect(pending.structuredContent).toMatchObject({ status: 'pending_approval', invocationId: expect.any(String) });
  });
});
