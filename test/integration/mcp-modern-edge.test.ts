// The HTTP edge of 2026-07-28 on /mcp/:agentId, with raw POSTs: server/discover, cache hints, the
// MCP-Protocol-Version / Mcp-Method / Mcp-Name headers checked against the body (-32020) before any
// policy or invocation, unsupported versions (-32022), and auth and Origin first, as for 2025 clients.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { createServerAndAgent, startPlatform, userWithRole } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';

const MODERN = '2026-07-28';

let platform: Awaited<ReturnType<typeof startPlatform>>;
let mcpHttp: HttpMcpServer;
let org: Awaited<ReturnType<typeof createOrg>>;
let agentId: string;
let developer: string;

const url = () => platform.url;

beforeAll(async () => {
  mcpHttp = await startHttpMcpServer();
  platform = await startPlatform();
  org = await createOrg(platform.db, 'mcp-modern-edge');
  ({ agentId } = await createServerAndAgent(
    url(),
    org.adminKey,
    { name: 'testhttp', transport: 'http', url: mcpHttp.url },
    {
      name: 'edge-agent',
      capabilities: [
        { name: 'sum', tool: 'add', risk: 'low' },
        { name: 'note', tool: 'record', risk: 'high' },
      ],
    },
  ));
  developer = (await userWithRole(platform.db, org.org.id, 'developer')).key;
}, 120_000);
afterAll(async () => {
  await platform?.stop();
  await mcpHttp?.stop();
});

const envelope = (version = MODERN) => ({
  'io.modelcontextprotocol/protocolVersion': version,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
});

/** A raw 2026-07-28 POST: `headers` are the MCP ones (MCP-Protocol-Version, Mcp-Method, Mcp-Name). */
const modernPost = (method: string, params: Record<string, unknown>, headers: Record<string, string>) =>
  call(`${url()}/mcp/${agentId}`, {
    method: 'POST',
    key: developer,
    headers: { accept: 'application/json, text/event-stream', ...headers },
    json: { jsonrpc: '2.0', id: 9, method, params: { ...params, _meta: envelope() } },
  });

const invocationsOfOrg = async () =>
  Number((await platform.db('invocations').where({ org_id: org.org.id }).count<{ n: string }[]>('* as n'))[0]!.n);

describe('the HTTP edge of 2026-07-28', () => {
  it('answers server/discover with the supported version, the tools capability and private cache hints', async () => {
    const r = await modernPost(
      'server/discover',
      {},
      { 'mcp-protocol-version': MODERN, 'mcp-method': 'server/discover' },
    );
    expect(r.status, r.text).toBe(200);
    expect(r.json.result).toMatchObject({
      supportedVersions: [MODERN],
      capabilities: { tools: {} },
      resultType: 'complete',
      ttlMs: 0,
      cacheScope: 'private',
      instructions: expect.stringContaining('collexa_invocation_status'),
      _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'collexa', title: 'Collexa agent edge-agent' } },
    });
  });

  it('marks tools/list private to the caller, in the same order every time', async () => {
    const list = () => modernPost('tools/list', {}, { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' });
    const [first, second] = [await list(), await list()];
    expect(first.status, first.text).toBe(200);
    expect(first.json.result).toMatchObject({ cacheScope: 'private', ttlMs: 0, resultType: 'complete' });
    expect(second.json.result.tools).toEqual(first.json.result.tools);
  });

  it('answers headers that disagree with the body with -32020 before any policy or invocation is touched', async () => {
    const before = await invocationsOfOrg();
    const calls = (await mcpHttp.calls()).length;
    const args = { name: 'sum', arguments: { a: 1, b: 1 } };
    for (const headers of [
      { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'note' },
      { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list', 'mcp-name': 'sum' },
      { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call' },
    ] as Record<string, string>[]) {
      const r = await modernPost('tools/call', args, headers);
      expect(r.status, r.text).toBe(400);
      expect(r.json).toMatchObject({ jsonrpc: '2.0', id: 9, error: { code: -32020 } });
    }
    expect(await invocationsOfOrg()).toBe(before);
    expect((await mcpHttp.calls()).length).toBe(calls);
    const good = await modernPost('tools/call', args, {
      'mcp-protocol-version': MODERN,
      'mcp-method': 'tools/call',
      'mcp-name': 'sum',
    });
    expect(good.status, good.text).toBe(200);
    expect(good.json.result.structuredContent).toEqual({ sum: 2 });
    expect(await invocationsOfOrg()).toBe(before + 1);
  });

  it('answers a protocol version it does not serve with -32022 naming the supported ones', async () => {
    const r = await call(`${url()}/mcp/${agentId}`, {
      method: 'POST',
      key: developer,
      headers: {
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2099-01-01',
        'mcp-method': 'tools/list',
      },
      json: { jsonrpc: '2.0', id: 3, method: 'tools/list', params: { _meta: envelope('2099-01-01') } },
    });
    expect(r.status, r.text).toBe(400);
    expect(r.json.error).toMatchObject({ code: -32022, data: { supported: [MODERN], requested: '2099-01-01' } });
  });

  it('still needs a key and an allowed Origin first (the JSON error envelope, as for 2025 clients)', async () => {
    const headers = { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' };
    const anonymous = await call(`${url()}/mcp/${agentId}`, {
      method: 'POST',
      headers,
      json: { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: envelope() } },
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.json.error.code).toBe('unauthorized');
    const evil = await call(`${url()}/mcp/${agentId}`, {
      method: 'POST',
      key: developer,
      headers: { ...headers, origin: 'https://evil.example' },
      json: { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: envelope() } },
    });
    expect(evil.status).toBe(403);
    expect(evil.json.error.code).toBe('origin_not_allowed');
  });
});
