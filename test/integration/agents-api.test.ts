// MCP servers and agents over the API: secrets never echoed, tools checked against real servers, org scoping.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../core/paths.js';
import { freePort } from '../../scripts/dev/processes.js';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { startPlatform, userWithRole } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';

const everythingBin = path.join(PROJECT_ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
let platform: Awaited<ReturnType<typeof startPlatform>>;
let mcpHttp: HttpMcpServer;
beforeAll(async () => {
  mcpHttp = await startHttpMcpServer();
  platform = await startPlatform();
});
afterAll(async () => {
  await platform?.stop();
  await mcpHttp?.stop();
});

describe('MCP servers and agents API', () => {
  it('stores env and header values but never echoes them', async () => {
    const { adminKey } = await createOrg(platform.db);
    const stdio = await call(`${platform.url}/v1/mcp-servers`, {
      method: 'POST',
      key: adminKey,
      json: {
        name: 'everything',
        transport: 'stdio',
        command: process.execPath,
        args: [everythingBin, 'stdio'],
        env: { API_TOKEN: 'sk-very-secret-1' },
      },
    });
    expect(stdio.status).toBe(201);
    expect(stdio.json.envKeys).toEqual(['API_TOKEN']);
    const httpServer = await call(`${platform.url}/v1/mcp-servers`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'h', transport: 'http', url: mcpHttp.url, headers: { Authorization: 'Bearer sk-very-secret-2' } },
    });
    expect(httpServer.json.headerNames).toEqual(['Authorization']);
    const list = await call(`${platform.url}/v1/mcp-servers`, { key: adminKey });
    const one = await call(`${platform.url}/v1/mcp-servers/${stdio.json.id}`, { key: adminKey });
    for (const r of [stdio, httpServer, list, one]) expect(r.text).not.toMatch(/sk-very-secret/);
    expect(
      (
        await call(`${platform.url}/v1/mcp-servers`, {
          method: 'POST',
          key: adminKey,
          json: { name: 'everything', transport: 'http', url: mcpHttp.url },
        })
      ).status,
    ).toBe(409);
  });

  it('validates server bodies with a 400 listing the problems', async () => {
    const { adminKey } = await createOrg(platform.db);
    const r = await call(`${platform.url}/v1/mcp-servers`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'bad name!', transport: 'carrier-pigeon' },
    });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('validation_error');
  });

  it('creates an agent only when each server serves the tool, pinning the tool definition', async () => {
    const { adminKey } = await createOrg(platform.db);
    await call(`${platform.url}/v1/mcp-servers`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'h', transport: 'http', url: mcpHttp.url },
    });
    const unknownTool = await call(`${platform.url}/v1/agents`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'a', capabilities: [{ name: 'x', server: 'h', tool: 'nope' }] },
    });
    expect(unknownTool.status).toBe(400);
    expect(unknownTool.json.error).toMatchObject({
      code: 'unknown_tool',
      details: { available: expect.arrayContaining(['echo', 'add']) },
    });
    const unknownServer = await call(`${platform.url}/v1/agents`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'a', capabilities: [{ name: 'x', server: 'ghost', tool: 'echo' }] },
    });
    expect(unknownServer.json.error.code).toBe('unknown_server');
    const ok = await call(`${platform.url}/v1/agents`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'a', capabilities: [{ name: 'sum', server: 'h', tool: 'add', risk: 'medium' }] },
    });
    expect(ok.status, ok.text).toBe(201);
    expect(ok.json.capabilities[0]).toMatchObject({
      name: 'sum',
      tool: 'add',
      risk: 'medium',
      server: { name: 'h' },
      annotations: { idempotentHint: true },
    });
    expect(ok.json.capabilities[0].inputSchema.properties).toHaveProperty('a');
    const patched = await call(`${platform.url}/v1/agents/${ok.json.id}`, {
      method: 'PATCH',
      key: adminKey,
      json: { capabilities: [{ name: 'say', server: 'h', tool: 'echo' }] },
    });
    expect(patched.json.capabilities.map((c: { name: string }) => c.name)).toEqual(['say']);
    // A server an agent uses cannot be removed from under it.
    expect(
      (
        await call(`${platform.url}/v1/mcp-servers/${ok.json.capabilities[0].server.id}`, {
          method: 'DELETE',
          key: adminKey,
        })
      ).status,
    ).toBe(409);
  });

  it('answers 502 when the server cannot be reached for tools/list', async () => {
    const { adminKey } = await createOrg(platform.db);
    await call(`${platform.url}/v1/mcp-servers`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'dead', transport: 'http', url: `http://127.0.0.1:${await freePort()}/mcp` },
    });
    const r = await call(`${platform.url}/v1/agents`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'a', capabilities: [{ name: 'x', server: 'dead', tool: 'echo' }] },
    });
    expect(r.status).toBe(502);
    expect(r.json.error.code).toBe('mcp_server_unavailable');
  });

  it('scopes agents and servers to the caller’s org (404 elsewhere) and keeps viewers read-only', async () => {
    const a = await createOrg(platform.db, 'a');
    const b = await createOrg(platform.db, 'b');
    const server = await call(`${platform.url}/v1/mcp-servers`, {
      method: 'POST',
      key: a.adminKey,
      json: { name: 'h', transport: 'http', url: mcpHttp.url },
    });
    const agent = await call(`${platform.url}/v1/agents`, {
      method: 'POST',
      key: a.adminKey,
      json: { name: 'a', capabilities: [{ name: 'say', server: 'h', tool: 'echo' }] },
    });
    expect((await call(`${platform.url}/v1/agents/${agent.json.id}`, { key: b.adminKey })).status).toBe(404);
    expect((await call(`${platform.url}/v1/mcp-servers/${server.json.id}`, { key: b.adminKey })).status).toBe(404);
    expect(
      (await call(`${platform.url}/v1/agents/${agent.json.id}`, { method: 'DELETE', key: b.adminKey })).status,
    ).toBe(404);
    expect((await call(`${platform.url}/v1/agents`, { key: b.adminKey })).json.data).toEqual([]);
    const viewer = await userWithRole(platform.db, a.org.id, 'viewer');
    expect((await call(`${platform.url}/v1/agents`, { key: viewer.key })).json.data).toHaveLength(1);
    expect(
      (await call(`${platform.url}/v1/agents`, { method: 'POST', key: viewer.key, json: { name: 'v' } })).status,
    ).toBe(403);
  });
});
