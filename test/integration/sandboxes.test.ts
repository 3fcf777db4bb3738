// Sandboxes end to end on the real components (API, Temporal, the worker, PostgreSQL, Prism, the
// emulator, the openapi MCP server, all sandboxed): an agent's capabilities for a target run against a
// mock, an emulation or (approved) the real system, and everything a sandbox held is gone when it ends.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform, userWithRole } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

let platform: Awaited<ReturnType<typeof startPlatform>>;
let org: Awaited<ReturnType<typeof createOrg>>;
let other: Awaited<ReturnType<typeof createOrg>>;
let developer: string;
let approver: string;
let agentId: string;
let tools: Record<string, string>;
let realSystem: Server;
let realUrl: string;
const seenByReal: string[] = [];

const url = () => platform.url;

beforeAll(async () => {
  // The "real system" of the connected mode: an HTTP server this test runs, speaking the issues API.
  realSystem = createServer((req, res) => {
    seenByReal.push(`${req.method} ${req.url}`);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify([{ id: 'real-1', title: 'from the real system', status: 'open' }]));
  }).listen(0, '127.0.0.1');
  await new Promise((r) => realSystem.once('listening', r));
  realUrl = `http://127.0.0.1:${(realSystem.address() as AddressInfo).port}`;

  platform = await startPlatform({ sandboxes: { idleMs: 4_000, maxPerOrg: 3 } });
  org = await createOrg(platform.db, 'sandboxes');
  other = await createOrg(platform.db, 'sandboxes-other');
  developer = (await userWithRole(platform.db, org.org.id, 'developer')).key;
  approver = (await userWithRole(platform.db, org.org.id, 'approver')).key;
  // The agent's server fronts the shipped collexa-test target; its real system is the test's server.
  const server = await call(`${url()}/v1/mcp-servers?wait=60`, {
    method: 'POST',
    key: org.adminKey,
    json: { name: 'issues', template: 'openapi', config: { target: 'collexa-test', baseUrl: realUrl } },
  });
  expect(server.json, server.text).toMatchObject({ status: 'healthy', template: 'openapi' });
  const listed = await call(`${url()}/v1/tools?server=issues&limit=100`, { key: org.adminKey });
  const names = listed.json.data.map((t: { name: string }) => t.name) as string[];
  const pick = (re: RegExp) => names.find((n) => re.test(n)) ?? `no tool ${re} in ${names.join(',')}`;
  // The openapi MCP server abbreviates operation ids (listIssues → lst-issues, createIssue → crt-issue).
  tools = { list: pick(/^lst-issues$/), create: pick(/^crt-issue$/), get: pick(/^get-issue$/) };
  const agent = await call(`${url()}/v1/agents`, {
    method: 'POST',
    key: org.adminKey,
    json: {
      name: 'tracker',
      capabilities: [
        { name: 'list_issues', server: 'issues', tool: tools.list, risk: 'low' },
        { name: 'create_issue', server: 'issues', tool: tools.create, risk: 'high' },
        { name: 'get_issue', server: 'issues', tool: tools.get, risk: 'low' },
      ],
    },
  });
  expect(agent.status, agent.text).toBe(201);
  agentId = agent.json.id;
}, 180_000);
afterAll(async () => {
  await platform?.stop();
  realSystem?.close();
});

async function createSandbox(json: Record<string, unknown>, key = developer) {
  return call(`${url()}/v1/agents/${agentId}/sandboxes`, { method: 'POST', key, json });
}

const sandbox = async (id: string) => (await call(`${url()}/v1/sandboxes/${id}`, { key: developer })).json;

function until(id: string, status: string | string[], timeoutMs = 90_000) {
  const want = Array.isArray(status) ? status : [status];
  return waitFor(
    () => sandbox(id),
    (s) => want.includes(s.status),
    { what: `sandbox ${id} to be ${want}`, timeoutMs },
  );
}

async function invoke(capability: string, input: Record<string, unknown>, sandboxId?: string) {
  return call(`${url()}/v1/agents/${agentId}/invoke?wait=60`, {
    method: 'POST',
    key: developer,
    json: { capability, input, ...(sandboxId ? { sandboxId } : {}) },
  });
}

/** Nothing the sandbox held is left: no process, no database, no MCP server, no resources on its row. */
async function nothingLeft(id: string, pid?: number) {
  const row = await platform.db('sandboxes').where({ id }).first();
  expect(row.resources).toEqual({});
  expect(await platform.db('mcp_servers').where({ sandbox_id: id })).toEqual([]);
  const dbs = await platform.db.raw('select datname from pg_database where datname = ?', [
    `sbx_${id.replace(/-/g, '')}`,
  ]);
  expect(dbs.rows).toEqual([]);
  if (pid) expect(() => process.kill(pid, 0)).toThrow();
}

describe('a mock sandbox (Prism)', () => {
  it('runs the agent’s capabilities for its target against spec-valid mock data, without approval, and leaves nothing behind', async () => {
    const created = await createSandbox({ target: 'collexa-test', mode: 'mock' });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({ mode: 'mock', target: 'collexa-test', status: 'provisioning' });
    const running = await until(created.json.id, 'running');
    expect(running.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(running.expiresAt).not.toBeNull();

    const listed = await invoke('list_issues', {}, created.json.id);
    expect(listed.json.status, JSON.stringify(listed.json.error)).toBe('succeeded');
    expect(listed.json.sandboxId).toBe(created.json.id);
    expect(seenByReal).toEqual([]);
    // A high-risk capability needs no approval in a mock: nothing real is touched.
    const made = await invoke('create_issue', { title: 'rehearsal' }, created.json.id);
    expect(made.json.status, JSON.stringify(made.json.error)).toBe('succeeded');
    expect(made.json.decision.requireApproval).toBe(false);

    // Prism itself answers a request that breaks the spec with a 4xx.
    const bad = await fetch(`${running.endpoint}/issues`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
      body: JSON.stringify({ title: 42 }),
    });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);

    const audit = await call(`${url()}/v1/audit?invocationId=${listed.json.invocationId}`, { key: org.adminKey });
    const called = audit.json.data.find((e: { action: string }) => e.action === 'tool.called');
    expect(called.data.sandboxId).toBe(created.json.id);

    // The same capability over MCP, routed by ?sandbox=.
    const mcp = new Client({ name: 'sandbox-test', version: '1.0.0' });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(`${url()}/mcp/${agentId}?sandbox=${created.json.id}`), {
        requestInit: { headers: { authorization: `Bearer ${developer}` } },
      }),
    );
    const viaMcp = await mcp.callTool({ name: 'list_issues', arguments: {} });
    await mcp.close();
    expect(viaMcp.isError).toBeFalsy();
    const viaMcpId = viaMcp._meta!['collexa/invocationId'] as string;
    expect((await platform.db('invocations').where({ id: viaMcpId }).first()).sandbox_id).toBe(created.json.id);

    const { process: proc } = (await platform.db('sandboxes').where({ id: created.json.id }).first()).resources;
    const stopped = await call(`${url()}/v1/sandboxes/${created.json.id}`, { method: 'DELETE', key: developer });
    expect(stopped.status).toBe(202);
    const ended = await until(created.json.id, 'stopped');
    expect(ended.reason).toBe('deleted');
    await nothingLeft(created.json.id, proc?.pid);
    await expect(fetch(`${running.endpoint}/issues`)).rejects.toThrow();
    const minutes = await platform.db('usage_records').where({ subject_id: created.json.id, kind: 'sandbox_minutes' });
    expect(minutes).toHaveLength(1);
    // A call to an ended sandbox is refused, naming why.
    const late = await invoke('list_issues', {}, created.json.id);
    expect(late.status).toBe(409);
  }, 180_000);
});

describe('an emulated sandbox', () => {
  it('keeps state across calls, resets to its seed, and drops its database when deleted', async () => {
    const created = await createSandbox({ target: 'collexa-test', mode: 'emulated' });
    expect(created.status, created.text).toBe(201);
    await until(created.json.id, 'running');
    const made = await invoke('create_issue', { title: 'emulated issue', description: 'kept' }, created.json.id);
    expect(made.json.status, JSON.stringify(made.json.error)).toBe('succeeded');
    const issue = JSON.parse(made.json.result.content[0].text);
    expect(issue.title).toBe('emulated issue');
    const read = await invoke('get_issue', { issueId: issue.id }, created.json.id);
    expect(read.json.status, JSON.stringify(read.json.error)).toBe('succeeded');
    expect(JSON.parse(read.json.result.content[0].text)).toMatchObject({ id: issue.id, title: 'emulated issue' });

    const reset = await call(`${url()}/v1/sandboxes/${created.json.id}/reset`, { method: 'POST', key: developer });
    expect(reset.status, reset.text).toBe(200);
    const gone = await invoke('get_issue', { issueId: issue.id }, created.json.id);
    expect(gone.json.status).toBe('failed');

    await call(`${url()}/v1/sandboxes/${created.json.id}`, { method: 'DELETE', key: developer });
    await until(created.json.id, 'stopped');
    await nothingLeft(created.json.id);
  }, 180_000);
});

describe('a connected sandbox', () => {
  it('waits for an approver, then calls the real system through the egress policy', async () => {
    const created = await createSandbox({ target: 'collexa-test', mode: 'connected' });
    expect(created.status, created.text).toBe(400);
    expect(created.json.error.code).toBe('no_base_url');
    const target = await call(`${url()}/v1/sandbox-targets`, {
      method: 'POST',
      key: org.adminKey,
      json: {
        name: 'issues-real',
        spec: (await call(`${url()}/v1/sandbox-targets/collexa-test?spec=true`, { key: developer })).json.spec,
        baseUrl: realUrl,
      },
    });
    expect(target.status, target.text).toBe(201);
    const server = await call(`${url()}/v1/mcp-servers?wait=60`, {
      method: 'POST',
      key: org.adminKey,
      json: { name: 'issues-real', template: 'openapi', config: { target: 'issues-real' } },
    });
    expect(server.json, server.text).toMatchObject({ status: 'healthy' });
    const agent = await call(`${url()}/v1/agents`, {
      method: 'POST',
      key: org.adminKey,
      json: { name: 'real-tracker', capabilities: [{ name: 'list_issues', server: 'issues-real', tool: tools.list }] },
    });
    const connected = await call(`${url()}/v1/agents/${agent.json.id}/sandboxes`, {
      method: 'POST',
      key: developer,
      json: { target: 'issues-real', mode: 'connected' },
    });
    expect(connected.status, connected.text).toBe(201);
    const pending = await waitFor(
      () => sandbox(connected.json.id),
      (s) => s.status === 'pending_approval' && s.approvalId !== null,
      { what: 'the connected sandbox to wait for its approval' },
    );
    // Four eyes: the requester cannot approve their own.
    const self = await call(`${url()}/v1/approvals/${pending.approvalId}/approve`, {
      method: 'POST',
      key: developer,
      json: {},
    });
    expect(self.status).toBe(403);
    const ok = await call(`${url()}/v1/approvals/${pending.approvalId}/approve`, {
      method: 'POST',
      key: approver,
      json: {},
    });
    expect(ok.status, ok.text).toBe(200);
    const running = await until(connected.json.id, 'running');
    expect(running.endpoint).toBe(realUrl);
    const r = await call(`${url()}/v1/agents/${agent.json.id}/invoke?wait=60`, {
      method: 'POST',
      key: developer,
      json: { capability: 'list_issues', input: {}, sandboxId: connected.json.id },
    });
    expect(r.json.status, JSON.stringify(r.json.error)).toBe('succeeded');
    expect(seenByReal.some((s) => s.startsWith('GET /issues'))).toBe(true);
    await call(`${url()}/v1/sandboxes/${connected.json.id}`, { method: 'DELETE', key: developer });
    await until(connected.json.id, 'stopped');
  }, 180_000);
});

describe('sandbox lifecycle and limits', () => {
  it('stops a sandbox nobody calls (idle), and expires one at its TTL', async () => {
    const idle = await createSandbox({ target: 'collexa-test', mode: 'mock' });
    const short = await createSandbox({ target: 'collexa-test', mode: 'mock', ttl: 10 });
    // The short one is kept busy (a call every second, well inside the 4 s idle window): only its TTL can end it.
    const busy = (async () => {
      await until(short.json.id, 'running');
      for (;;) {
        const now = await sandbox(short.json.id);
        if (['stopped', 'expired', 'failed'].includes(now.status)) return now;
        await invoke('list_issues', {}, short.json.id);
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    const idled = await until(idle.json.id, ['stopped', 'expired', 'failed'], 120_000);
    expect(idled).toMatchObject({ status: 'stopped', reason: 'idle' });
    expect(await busy).toMatchObject({ status: 'expired', reason: 'ttl' });
    await nothingLeft(idle.json.id);
    await nothingLeft(short.json.id);
  }, 240_000);

  it('refuses other orgs, bad requests and more sandboxes than the org may hold', async () => {
    const mine = await createSandbox({ target: 'collexa-test', mode: 'mock' });
    expect(mine.status).toBe(201);
    expect((await call(`${url()}/v1/sandboxes/${mine.json.id}`, { key: other.adminKey })).status).toBe(404);
    expect(
      (await call(`${url()}/v1/sandboxes/${mine.json.id}`, { method: 'DELETE', key: other.adminKey })).status,
    ).toBe(404);
    expect((await createSandbox({ target: 'nope', mode: 'mock' })).status).toBe(404);
    expect((await createSandbox({ target: 'collexa-test', mode: 'live' })).status).toBe(400);
    expect((await createSandbox({ target: 'collexa-test', mode: 'mock', ttl: 10 ** 7 })).status).toBe(400);
    const viewer = (await userWithRole(platform.db, org.org.id, 'viewer')).key;
    expect((await createSandbox({ target: 'collexa-test', mode: 'mock' }, viewer)).status).toBe(403);
    const more = [];
    for (let i = 0; i < 3; i++) more.push(await createSandbox({ target: 'collexa-test', mode: 'mock' }));
    expect(more.map((r) => r.status)).toContain(429);
    const limited = more.find((r) => r.status === 429)!;
    expect(limited.json.error.code).toBe('sandbox_limit');
    for (const r of [mine, ...more].filter((x) => x.status === 201))
      await call(`${url()}/v1/sandboxes/${r.json.id}`, { method: 'DELETE', key: developer });
  }, 180_000);
});
