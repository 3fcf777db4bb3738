// The trust boundary through the public API, as an attacker with a developer key (and an admin who means
// well) meets it: who may run what, secrets bound and redacted, and nothing fetched from internal addresses.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { McpCallError, McpClientPool } from '../../core/mcp/client-pool.js';
import { EgressPolicy } from '../../core/net/egress.js';
import { PROJECT_ROOT } from '../../core/paths.js';
import { freePort } from '../../scripts/dev/processes.js';
import { httpServerConfig, startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { startPlatform, userWithRole, waitForStatus } from '../helpers/platform.js';
import { call, createOrg, stackEnv, startApi, testLogger, testSandbox } from '../helpers/stack.js';

const EVERYTHING = path.join(PROJECT_ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

let platform: Awaited<ReturnType<typeof startPlatform>>;
// An API with the production egress default: nothing but public addresses.
let strict: Awaited<ReturnType<typeof startApi>>;
let mcpHttp: HttpMcpServer;
let trap: Server;
let trapPort: number;
let trapped = 0;

beforeAll(async () => {
  mcpHttp = await startHttpMcpServer();
  platform = await startPlatform({ mcpHealthIntervalMs: 60_000 });
  strict = await startApi({ db: platform.db, taskQueue: platform.taskQueue, egress: new EgressPolicy([]) });
  // Something listening on loopback that must never hear from Collexa.
  trap = createServer((s) => {
    trapped++;
    s.destroy();
  });
  await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r));
  trapPort = (trap.address() as AddressInfo).port;
});
afterAll(async () => {
  await strict?.close();
  await platform?.stop();
  await mcpHttp?.stop();
  await new Promise((r) => trap?.close(r));
});

async function orgWithRoles() {
  const o = await createOrg(platform.db, 'trust');
  return {
    ...o,
    developer: await userWithRole(platform.db, o.org.id, 'developer'),
    viewer: await userWithRole(platform.db, o.org.id, 'viewer'),
  };
}
const post = (url: string, key: string, json: unknown) => call(url, { method: 'POST', key, json });

describe('who may run what', () => {
  it('refuses a developer a stdio command, over REST and import, and runs nothing', async () => {
    const { org, developer } = await orgWithRoles();
    const shell = { name: 'x', transport: 'stdio', command: 'bash', args: ['-c', 'id > proof.txt'] };
    const rest = await post(`${platform.url}/v1/mcp-servers`, developer.key, shell);
    expect(rest.status).toBe(403);
    expect(rest.json.error).toMatchObject({
      code: 'forbidden',
      message: expect.stringMatching(/stdio command needs the admin role/),
    });
    const imported = await post(`${platform.url}/v1/mcp-servers/import`, developer.key, {
      mcpServers: { x: { command: 'bash', args: ['-c', 'id'] } },
    });
    expect(imported.status).toBe(400);
    expect(imported.json.error.details.errors).toEqual([expect.objectContaining({ name: 'x', code: 'forbidden' })]);
    expect(await platform.db('mcp_servers').where({ org_id: org.id })).toEqual([]);
  });

  it('lets an admin run only allowed executables, and takes `npx -y <shipped package>` as the shipped package', async () => {
    const { adminKey } = await orgWithRoles();
    const bash = await post(`${platform.url}/v1/mcp-servers`, adminKey, {
      name: 'sh',
      transport: 'stdio',
      command: 'bash',
      args: ['-c', 'id'],
    });
    expect(bash.status).toBe(400);
    expect(bash.json.error).toMatchObject({
      code: 'stdio_command_not_allowed',
      details: { command: 'bash', allowed: expect.arrayContaining(['@modelcontextprotocol/server-everything']) },
    });
    const npx = await post(`${platform.url}/v1/mcp-servers?wait=30`, adminKey, {
      name: 'ev',
      transport: 'stdio',
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-everything@2026.8.31', 'stdio'],
    });
    expect(npx.status, npx.text).toBe(201);
    expect(npx.json).toMatchObject({
      command: expect.stringMatching(/node$/),
      args: [EVERYTHING, 'stdio'],
      status: 'healthy',
    });
  });

  it('keeps the filesystem template inside the org workspace', async () => {
    const { developer } = await orgWithRoles();
    for (const paths of [['/'], ['../other-org'], ['/etc']]) {
      const r = await post(`${platform.url}/v1/mcp-servers`, developer.key, {
        name: 'fs',
        template: 'filesystem',
        config: { paths },
      });
      expect(r.status, JSON.stringify(paths)).toBe(400);
      expect(r.json.error.details.issues[0]).toMatchObject({
        path: 'config.paths.0',
        message: expect.stringMatching(/outside the organization's workspace/),
      });
    }
    const network = await post(`${platform.url}/v1/mcp-servers`, developer.key, {
      name: 'fs',
      template: 'filesystem',
      network: true,
      config: { paths: ['docs'] },
    });
    expect(network.status).toBe(403);
  });
});

describe('secrets are bound, not borrowed', () => {
  it('lets only an admin bind a secret, audits it, and redacts its value from results, audit and rows', async () => {
    const { org, adminKey, developer, viewer } = await orgWithRoles();
    const value = `sk-live-${Date.now()}-trust`;
    expect((await post(`${platform.url}/v1/secrets`, adminKey, { name: 'apitoken', value })).status).toBe(201);
    const server = {
      name: 'ev',
      transport: 'stdio',
      command: process.execPath,
      args: [EVERYTHING, 'stdio'],
      env: { X: 'secret:apitoken' },
    };
    expect(
      (
        await post(`${platform.url}/v1/mcp-servers`, developer.key, {
          ...server,
          command: '@modelcontextprotocol/server-everything',
          args: ['stdio'],
        })
      ).status,
    ).toBe(403);
    // The role is checked first: a developer hears "admin only", not what is wrong with the URL.
    const headers = await post(`${platform.url}/v1/mcp-servers`, developer.key, {
      name: 'h',
      transport: 'http',
      url: 'http://10.0.0.1/mcp',
      headers: { Authorization: 'secret:apitoken' },
    });
    expect(headers.status).toBe(403);
    const created = await post(`${platform.url}/v1/mcp-servers?wait=30`, adminKey, server);
    expect(created.status, created.text).toBe(201);
    const bound = await platform.db('audit_events').where({ org_id: org.id, action: 'mcp_server.secret_bound' });
    expect(bound.map((e) => e.data)).toEqual([{ name: 'ev', secrets: ['apitoken'] }]);

    const agent = await post(`${platform.url}/v1/agents`, adminKey, {
      name: 'env-reader',
      capabilities: [{ name: 'env', server: 'ev', tool: 'get-env' }],
    });
    expect(agent.status, agent.text).toBe(201);
    const inv = await post(`${platform.url}/v1/agents/${agent.json.id}/invoke?wait=30`, developer.key, {
      capability: 'env',
      input: {},
    });
    expect(inv.json.status, inv.text).toBe('succeeded');
    expect(inv.text).toContain('[secret:apitoken]');
    expect(inv.text).not.toContain(value);
    const seen = await call(`${platform.url}/v1/invocations/${inv.json.invocationId}`, { key: viewer.key });
    expect(seen.text).not.toContain(value);
    const rows =
      JSON.stringify(await platform.db('invocations').where({ org_id: org.id })) +
      JSON.stringify(await platform.db('audit_events').where({ org_id: org.id }));
    expect(rows).toContain('[secret:apitoken]');
    expect(rows).not.toContain(value);
  });
});

describe('egress: nothing fetched from internal addresses', () => {
  const internal = [
    'http://127.0.0.1:PORT/mcp',
    'http://localhost:PORT/mcp',
    'http://[::1]:PORT/mcp',
    'http://10.0.0.1/mcp',
    'http://192.168.1.1/mcp',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::ffff:127.0.0.1]:PORT/',
  ];

  it('refuses loopback, private, link-local and metadata URLs for MCP servers with a 400, sending nothing', async () => {
    const { org, adminKey } = await createOrg(platform.db, 'ssrf');
    const before = trapped;
    for (const raw of internal) {
      const url = raw.replace('PORT', String(trapPort));
      const r = await post(`${strict.url}/v1/mcp-servers`, adminKey, { name: 'x', transport: 'http', url });
      expect(r.status, url).toBe(400);
      expect(r.json.error.code, url).toBe('egress_denied');
      expect(r.json.error.message).toMatch(/loopback|private|link-local|EGRESS_ALLOW/);
    }
    const creds = await post(`${strict.url}/v1/mcp-servers`, adminKey, {
      name: 'x',
      transport: 'http',
      url: 'https://user:pass@example.com/mcp',
    });
    expect(creds.json.error).toMatchObject({
      code: 'egress_denied',
      message: expect.stringMatching(/credentials in a URL/),
    });
    const openapi = await post(`${strict.url}/v1/mcp-servers`, adminKey, {
      name: 'x',
      template: 'openapi',
      config: { spec: 'https://example.com/spec.json', baseUrl: 'http://169.254.169.254/' },
    });
    expect(openapi.json.error).toMatchObject({ code: 'egress_denied', details: { field: 'config.baseUrl' } });
    const hook = await call(`${strict.url}/v1/org`, {
      method: 'PATCH',
      key: adminKey,
      json: {
        settings: { approvalWebhook: { url: `http://127.0.0.1:${trapPort}/`, secret: 'a-webhook-secret-of-16+' } },
      },
    });
    expect(hook.status).toBe(400);
    expect(hook.json.error.code).toBe('egress_denied');
    expect(await platform.db('mcp_servers').where({ org_id: org.id })).toEqual([]);
    expect(trapped).toBe(before);
  });

  it('never shows a viewer credentials in a stored server URL (rows from before they were refused)', async () => {
    const { org, viewer } = await orgWithRoles();
    const [row] = await platform
      .db('mcp_servers')
      .insert({
        org_id: org.id,
        name: 'old',
        transport: 'http',
        url: 'https://svc:hunter2@mcp.example.com/mcp',
        args: '[]',
        env: '{}',
        headers: '{}',
      })
      .returning('id');
    const shown = await call(`${platform.url}/v1/mcp-servers/${row.id}`, { key: viewer.key });
    expect(shown.json.url).toBe('https://mcp.example.com/mcp');
    expect((await call(`${platform.url}/v1/mcp-servers`, { key: viewer.key })).text).not.toContain('hunter2');
  });

  it('refuses the platform own services even where loopback is allowed', async () => {
    const { adminKey } = await createOrg(platform.db, 'ssrf platform');
    const pg = inject('pgPort');
    const app = await startApi({
      db: platform.db,
      taskQueue: platform.taskQueue,
      egress: new EgressPolicy(['127.0.0.1'], [{ host: '127.0.0.1', port: pg }]),
    });
    try {
      const r = await post(`${app.url}/v1/mcp-servers`, adminKey, {
        name: 'pg',
        transport: 'http',
        url: `http://127.0.0.1:${pg}/`,
      });
      expect(r.json.error).toMatchObject({
        code: 'egress_denied',
        message: expect.stringMatching(/platform's own services/),
      });
    } finally {
      await app.close();
    }
  });

  it('checks the address at connect time, so a name that now resolves to loopback is refused (DNS rebinding)', async () => {
    // A server stored while its name pointed elsewhere: the worker still refuses to connect.
    const strictPool = new McpClientPool({ logger: testLogger, sandbox: testSandbox(), egress: new EgressPolicy([]) });
    const before = trapped;
    const config = { ...httpServerConfig(mcpHttp, { id: 'rebind' }), url: `http://localhost:${trapPort}/mcp` };
    const err = await strictPool.listTools(config).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpCallError);
    expect((err as Error).message).toMatch(/egress denied: localhost \(127\.0\.0\.1\) is a loopback address/);
    expect(trapped).toBe(before);
    await strictPool.closeAll();
  });

  it('never quotes an upstream body in statusReason', async () => {
    const { adminKey, viewer } = await orgWithRoles();
    const page = http.createServer((_req, res) => {
      res.statusCode = 500;
      res.end('<h1>internal admin console: db password hunter2</h1>');
    });
    await new Promise<void>((r) => page.listen(0, '127.0.0.1', r));
    try {
      const port = (page.address() as AddressInfo).port;
      const r = await post(`${platform.url}/v1/mcp-servers?wait=30`, adminKey, {
        name: 'leaky',
        transport: 'http',
        url: `http://127.0.0.1:${port}/mcp`,
      });
      expect(r.status, r.text).toBe(201);
      const shown = await call(`${platform.url}/v1/mcp-servers/${r.json.id}`, { key: viewer.key });
      expect(shown.json.statusReason).toMatch(/HTTP 500 from 127\.0\.0\.1/);
      expect(shown.text).not.toContain('hunter2');
      expect(shown.text).not.toContain('internal admin console');
    } finally {
      page.close();
    }
  });
});

describe('only workers talk to MCP servers', () => {
  it('leaves the API process without child processes after an agent on a stdio server is saved', async () => {
    const { adminKey } = await createOrg(platform.db, 'no children');
    const port = await freePort();
    const api = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'api/server.ts')], {
      env: stackEnv({ PORT: String(port), TEMPORAL_TASK_QUEUE: platform.taskQueue }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        const onData = (d: Buffer) => ((out += d), out.includes('api listening') && resolve());
        api.stdout!.on('data', onData);
        api.stderr!.on('data', onData);
        api.once('exit', (code) => reject(new Error(`api exited ${code}: ${out}`)));
      });
      const url = `http://127.0.0.1:${port}`;
      const server = await post(`${url}/v1/mcp-servers`, adminKey, { name: 'ev', template: 'everything' });
      expect(server.status, server.text).toBe(201);
      const agent = await post(`${url}/v1/agents`, adminKey, {
        name: 'a',
        capabilities: [{ name: 'echo', server: 'ev', tool: 'echo' }],
      });
      expect(agent.status, agent.text).toBe(201);
      const inv = await post(`${url}/v1/agents/${agent.json.id}/invoke`, adminKey, {
        capability: 'echo',
        input: { message: 'hi' },
      });
      await waitForStatus(url, adminKey, inv.json.invocationId, 'succeeded');
      // tsx (how the API runs from source) keeps an esbuild service process; nothing else may be there.
      const children = childrenOf(api.pid!).map((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]!);
      expect(children.filter((cmd) => !/\/esbuild$/.test(cmd))).toEqual([]);
    } finally {
      api.kill('SIGTERM');
    }
  });
});

/** The pids of a process's children, from /proc (every thread's children file). */
function childrenOf(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
    readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
  );
}
