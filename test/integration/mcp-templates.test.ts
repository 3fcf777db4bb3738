// Templates and the common {"mcpServers": {...}} import/export, on the real reference servers.
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../core/paths.js';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { startPlatform, userWithRole } from '../helpers/platform.js';
import { call, createOrg, testSandbox } from '../helpers/stack.js';

let platform: Awaited<ReturnType<typeof startPlatform>>;
let fixture: HttpMcpServer;
beforeAll(async () => {
  fixture = await startHttpMcpServer();
  platform = await startPlatform({ mcpHealthIntervalMs: 60_000 });
});
afterAll(async () => {
  await platform?.stop();
  await fixture?.stop();
});

async function orgWithDeveloper() {
  const o = await createOrg(platform.db, 'templates');
  const developer = await userWithRole(platform.db, o.org.id, 'developer');
  return { ...o, developer };
}

describe('MCP server templates', () => {
  it('runs the memory, filesystem and everything templates as working servers', async () => {
    const { org, adminKey, developer } = await orgWithDeveloper();
    // The filesystem template reaches only the org's workspace (WORKSPACE_ROOT/<orgId>); paths are relative to it.
    const dir = path.join(testSandbox().workspaceRoot, org.id, 'docs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'hello.txt'), 'hi');
    const create = (json: unknown) =>
      call(`${platform.url}/v1/mcp-servers?wait=30`, { method: 'POST', key: adminKey, json });

    const memory = await create({ name: 'memory', template: 'memory' });
    expect(memory.status, memory.text).toBe(201);
    expect(memory.json).toMatchObject({
      status: 'healthy',
      template: 'memory',
      securityLevel: 'medium',
      network: false,
    });
    const fsServer = await create({ name: 'files', template: 'filesystem', config: { paths: ['docs'] } });
    expect(fsServer.json).toMatchObject({ status: 'healthy', template: 'filesystem', securityLevel: 'high' });
    const everything = await create({ name: 'everything', template: 'everything' });
    expect(everything.json.status).toBe('healthy');
    expect(everything.json.toolsCount).toBeGreaterThan(5);

    const agent = await call(`${platform.url}/v1/agents`, {
      method: 'POST',
      key: adminKey,
      json: {
        name: 'templated',
        capabilities: [
          { name: 'remember', server: 'memory', tool: 'create_entities' },
          { name: 'recall', server: 'memory', tool: 'read_graph' },
          { name: 'ls', server: 'files', tool: 'list_directory' },
          { name: 'sum', server: 'everything', tool: 'get-sum' },
        ],
      },
    });
    expect(agent.status, agent.text).toBe(201);
    const invoke = (capability: string, input: unknown) =>
      call(`${platform.url}/v1/agents/${agent.json.id}/invoke?wait=30`, {
        method: 'POST',
        key: developer.key,
        json: { capability, input },
      }).then((r) => r.json);
    expect(
      (await invoke('remember', { entities: [{ name: 'collexa', entityType: 'project', observations: ['durable'] }] }))
        .status,
    ).toBe('succeeded');
    expect(JSON.stringify((await invoke('recall', {})).result)).toContain('collexa');
    expect(JSON.stringify((await invoke('ls', { path: dir })).result)).toContain('hello.txt');
    expect(JSON.stringify((await invoke('sum', { a: 2, b: 3 })).result)).toContain('5');
  });

  it('fronts an HTTP API from its OpenAPI spec with the openapi template', async () => {
    const { adminKey, developer } = await orgWithDeveloper();
    const spec = {
      openapi: '3.0.3',
      info: { title: 'Weather', version: '1.0.0' },
      paths: {
        '/forecast/{city}': {
          get: {
            operationId: 'getForecast',
            summary: 'Forecast for a city',
            parameters: [{ name: 'city', in: 'path', required: true, schema: { type: 'string' } }],
            responses: {
              '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } },
            },
          },
        },
      },
    };
    const seen: string[] = [];
    const api = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers['x-api-key'] ?? ''}`);
      res.setHeader('content-type', 'application/json');
      if (req.url === '/openapi.json') return void res.end(JSON.stringify(spec));
      const m = /^\/forecast\/([^/?]+)/.exec(req.url ?? '');
      if (m) return void res.end(JSON.stringify({ city: decodeURIComponent(m[1]!), forecast: 'sunny' }));
      res.statusCode = 404;
      res.end('{}');
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(api.address() as { port: number }).port}`;
    try {
      const server = await call(`${platform.url}/v1/mcp-servers?wait=30`, {
        method: 'POST',
        key: adminKey,
        json: {
          name: 'weather',
          template: 'openapi',
          config: { spec: `${base}/openapi.json`, baseUrl: base, headers: { 'X-API-Key': 'k-123' } },
        },
      });
      expect(server.json, server.text).toMatchObject({ status: 'healthy', template: 'openapi', toolsCount: 1 });
      expect(server.text).not.toContain('k-123');
      const tools = await call(`${platform.url}/v1/tools?server=weather`, { key: adminKey });
      const tool = tools.json.data[0].name as string;
      const agent = await call(`${platform.url}/v1/agents`, {
        method: 'POST',
        key: adminKey,
        json: { name: 'weather-agent', capabilities: [{ name: 'forecast', server: 'weather', tool }] },
      });
      const r = await call(`${platform.url}/v1/agents/${agent.json.id}/invoke?wait=30`, {
        method: 'POST',
        key: developer.key,
        json: { capability: 'forecast', input: { city: 'Oslo' } },
      });
      expect(r.json.status, JSON.stringify(r.json.error)).toBe('succeeded');
      expect(JSON.stringify(r.json.result)).toContain('sunny');
      expect(seen).toContain('GET /forecast/Oslo k-123');
    } finally {
      api.close();
    }
  });

  it('rejects a template with a bad config, naming the field', async () => {
    const { adminKey } = await orgWithDeveloper();
    const r = await call(`${platform.url}/v1/mcp-servers`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'bad', template: 'filesystem', config: { paths: [42] } },
    });
    expect(r.status).toBe(400);
    expect(r.json.error.details.issues[0].path).toBe('config.paths.0');
    expect(
      (
        await call(`${platform.url}/v1/mcp-servers`, {
          method: 'POST',
          key: adminKey,
          json: { name: 'bad', template: 'nope' },
        })
      ).status,
    ).toBe(400);
  });
});

describe('mcpServers import and export', () => {
  it('imports the common client config, reports entries it cannot take, and exports without secret values', async () => {
    const { adminKey } = await orgWithDeveloper();
    await call(`${platform.url}/v1/secrets`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'github_token', value: 'ghp-not-a-real-token' },
    });
    const everythingBin = path.join(PROJECT_ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
    const file = {
      mcpServers: {
        everything: {
          command: process.execPath,
          args: [everythingBin, 'stdio'],
          env: { API_TOKEN: 'sk-live-123', REF: 'secret:github_token' },
        },
        web: { type: 'http', url: fixture.url, headers: { Authorization: 'Bearer sk-live-456' } },
        'bad name!': { command: 'x' },
        nothing: {},
        legacy: { type: 'sse', url: 'https://example.com/sse' },
        elsewhere: { command: process.execPath, args: [everythingBin, 'stdio'], cwd: '/srv' },
        off: { command: process.execPath, args: [everythingBin, 'stdio'], disabled: true },
        tight: {
          command: process.execPath,
          args: [everythingBin, 'stdio'],
          network: false,
          securityLevel: 'high',
          limits: { timeoutMs: 5000 },
        },
      },
    };
    const imported = await call(`${platform.url}/v1/mcp-servers/import?wait=20`, {
      method: 'POST',
      key: adminKey,
      json: file,
    });
    expect(imported.status, imported.text).toBe(207);
    expect(imported.json.created.map((s: { name: string }) => s.name).sort()).toEqual(['everything', 'tight', 'web']);
    expect(imported.json.errors.map((e: { name: string }) => e.name).sort()).toEqual([
      'bad name!',
      'elsewhere',
      'legacy',
      'nothing',
    ]);
    expect(imported.json.errors.find((e: { name: string }) => e.name === 'legacy').message).toMatch(
      /SSE transport is not supported/,
    );
    expect(imported.json.skipped).toEqual([{ name: 'off', reason: 'disabled in the file' }]);
    // Collexa's own fields survive the import.
    expect(imported.json.created.find((s: { name: string }) => s.name === 'tight')).toMatchObject({
      network: false,
      securityLevel: 'high',
      limits: { timeoutMs: 5000 },
    });
    expect(imported.text).not.toContain('sk-live');

    const exported = await call(`${platform.url}/v1/mcp-servers/export`, { key: adminKey });
    expect(exported.json.mcpServers.everything).toEqual({
      command: process.execPath,
      args: [everythingBin, 'stdio'],
      env: { API_TOKEN: '<redacted>', REF: 'secret:github_token' },
      network: false,
      securityLevel: 'medium',
    });
    expect(exported.json.mcpServers.web).toEqual({
      type: 'http',
      url: fixture.url,
      headers: { Authorization: '<redacted>' },
      securityLevel: 'medium',
    });
    expect(exported.json.mcpServers.tight).toMatchObject({
      network: false,
      securityLevel: 'high',
      limits: { timeoutMs: 5000 },
    });
    expect(exported.text).not.toContain('sk-live');

    const none = await call(`${platform.url}/v1/mcp-servers/import`, {
      method: 'POST',
      key: adminKey,
      json: { mcpServers: { 'x y': {} } },
    });
    expect(none.status).toBe(400);
    expect(none.json.error.code).toBe('import_failed');
  });
});
