// Execution limits on the real path: API → Temporal → worker → our HTTP MCP test server, with the limits'
// state in the run's PostgreSQL, shared by every API instance and worker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMIT_DEFAULTS } from '../../core/limits/defaults.js';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { createServerAndAgent, startPlatform, userWithRole, waitForStatus } from '../helpers/platform.js';
import { call, createOrg, startApi } from '../helpers/stack.js';
import { sleep, waitFor } from '../helpers/wait.js';

type Platform = Awaited<ReturnType<typeof startPlatform>>;

let platform: Platform;
let mcpHttp: HttpMcpServer;
beforeAll(async () => {
  [platform, mcpHttp] = await Promise.all([startPlatform(), startHttpMcpServer()]);
}, 120_000);
afterAll(async () => {
  await platform?.stop();
  await mcpHttp?.stop();
});

/** A fresh org with one server (`limits`, `securityLevel`) and an agent whose capabilities use its tools. */
async function orgWith(
  opts: { limits?: Record<string, number>; securityLevel?: string; url?: string },
  base = platform.url,
) {
  const org = await createOrg(platform.db, 'limits');
  const { serverId, agentId } = await createServerAndAgent(
    base,
    org.adminKey,
    { name: 'limited', transport: 'http', ...opts, url: opts.url ?? mcpHttp.url },
    {
      name: 'limited-agent',
      capabilities: [
        { name: 'echo', tool: 'echo', risk: 'low' },
        { name: 'slow', tool: 'slow', risk: 'low' },
        { name: 'note', tool: 'record', risk: 'high' },
      ],
    },
  );
  const developer = await userWithRole(platform.db, org.org.id, 'developer');
  const invoke = (capability: string, input: Record<string, unknown>, opts: { url?: string; wait?: number } = {}) =>
    call(`${opts.url ?? base}/v1/agents/${agentId}/invoke${opts.wait ? `?wait=${opts.wait}` : ''}`, {
      method: 'POST',
      key: developer.key,
      json: { capability, input },
    });
  const audit = async (invocationId: string) =>
    (await call(`${base}/v1/audit?invocationId=${invocationId}`, { key: org.adminKey })).json.data as {
      action: string;
      data: Record<string, unknown>;
    }[];
  const server = () => call(`${base}/v1/mcp-servers/${serverId}`, { key: org.adminKey });
  return { org, serverId, developer, invoke, audit, server };
}

describe('rate limits', () => {
  it('answers 429 with Retry-After naming the limit, and shares the bucket between API instances', async () => {
    const second = await startApi({ db: platform.db, taskQueue: platform.taskQueue });
    try {
      const { invoke, audit } = await orgWith({ limits: { ratePerSecond: 1 } });
      const first = await invoke('echo', { text: 'first' }, { wait: 20 });
      expect(first.json.status, first.text).toBe('succeeded');
      const refused = await invoke('echo', { text: 'second' }, { url: second.url });
      expect(refused.status, refused.text).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(refused.json.error).toMatchObject({
        code: 'rate_limited',
        details: { limit: 'ratePerSecond', value: 1, server: 'limited', retryAfterSeconds: 1 },
      });
      expect(refused.json.error.message).toContain('rate limit of 1 calls/s for MCP server limited exceeded');
      // The API's token covered the call: the worker did not take (and wait for) a second one.
      expect((await audit(first.json.invocationId)).map((e) => e.action)).not.toContain('tool.limit_exceeded');
      await sleep(Number(refused.headers.get('retry-after')) * 1000); // the time is the point: the Retry-After it named is wait enough
      expect((await invoke('echo', { text: 'after the wait' }, { url: second.url, wait: 20 })).json.status).toBe(
        'succeeded',
      );
    } finally {
      await second.close();
    }
  });

  it("holds an org's calls to all its servers to a server's orgRatePerSecond", async () => {
    const { org, invoke } = await orgWith({ limits: { orgRatePerSecond: 1 } });
    const other = await call(`${platform.url}/v1/mcp-servers`, {
      method: 'POST',
      key: org.adminKey,
      json: { name: 'other', transport: 'http', url: mcpHttp.url },
    });
    expect(other.status).toBe(201);
    expect((await invoke('echo', { text: 'uses the org token' })).status).toBe(202);
    const refused = await invoke('echo', { text: 'over the org rate' });
    expect(refused.status).toBe(429);
    expect(refused.json.error.details.limit).toBe('orgRatePerSecond');
    expect(refused.json.error.message).toContain('org rate limit of 1 calls/s exceeded');
  });

  it('defers a call that finds the bucket empty inside the workflow, names the limit in the audit, then runs it', async () => {
    const { org, invoke, audit } = await orgWith({ limits: { ratePerSecond: 0.25 } });
    const approver = await userWithRole(platform.db, org.org.id, 'approver');
    const r = await invoke('note', { note: 'rate-deferred' });
    const pending = await waitForStatus(platform.url, approver.key, r.json.invocationId, 'pending_approval');
    await sleep(2100); // past the API token's admission window: the call needs a token of its own
    expect(
      (
        await call(`${platform.url}/v1/approvals/${pending.approval.id}/approve`, {
          method: 'POST',
          key: approver.key,
          json: {},
        })
      ).status,
    ).toBe(200);
    const done = await waitForStatus(platform.url, approver.key, r.json.invocationId, 'succeeded', 20_000);
    const deferred = (await audit(done.invocationId)).filter((e) => e.action === 'tool.limit_exceeded');
    expect(deferred.length).toBeGreaterThan(0);
    expect(deferred[0]!.data).toMatchObject({ limit: 'ratePerSecond', value: 0.25 });
    expect(String(deferred[0]!.data.message)).toContain('rate limit of 0.25 calls/s');
    expect(
      new Date(done.timings.completedAt).getTime() - new Date(done.timings.createdAt).getTime(),
    ).toBeGreaterThanOrEqual(3500);
  });
});

describe('concurrency, timeout and result size', () => {
  it('runs one call at a time on a server with maxConcurrency 1', async () => {
    const { invoke } = await orgWith({ limits: { maxConcurrency: 1 } });
    const [a, b] = await Promise.all([
      invoke('slow', { ms: 1500 }, { wait: 30 }),
      invoke('slow', { ms: 1500 }, { wait: 30 }),
    ]);
    expect([a.json.status, b.json.status]).toEqual(['succeeded', 'succeeded']);
    const ids = new Set([a.json.invocationId, b.json.invocationId]);
    const starts = (await mcpHttp.calls())
      .filter((c) => ids.has(c.meta?.idempotencyKey))
      .map((c) => new Date(c.at).getTime())
      .sort((x, y) => x - y);
    expect(starts).toHaveLength(2);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(1400);
  });

  it("fails a call that outlives the server's timeoutMs, naming the timeout", async () => {
    const { invoke } = await orgWith({ limits: { timeoutMs: 500 } });
    const r = await invoke('slow', { ms: 3000 }, { wait: 30 });
    expect(r.json.status).toBe('failed');
    expect(r.json.error.code).toBe('tool_call_indeterminate');
    expect(r.json.error.message).toContain('within its timeout limit of 500 ms');
    expect(r.json.error.details).toMatchObject({ limit: 'timeoutMs', value: 500 });
  });

  it('fails a result over maxResultBytes as result_too_large and keeps no result', async () => {
    const { invoke, audit } = await orgWith({ limits: { maxResultBytes: 1024 } });
    const r = await invoke('echo', { text: 'x'.repeat(2000) }, { wait: 30 });
    expect(r.json.status).toBe('failed');
    expect(r.json.error.code).toBe('result_too_large');
    expect(r.json.error.message).toContain('over the limit of 1024 bytes for MCP server limited (maxResultBytes)');
    expect(r.json.error.details).toMatchObject({ limit: 'maxResultBytes', value: 1024 });
    expect(r.json.result).toBeNull();
    expect((await audit(r.json.invocationId)).find((e) => e.action === 'tool.limit_exceeded')?.data).toMatchObject({
      limit: 'maxResultBytes',
    });
  });
});

describe('circuit breaker', () => {
  it('opens after consecutive failures (503 circuit_open, visible on the server), then a half-open probe closes it', async () => {
    const own = await startHttpMcpServer();
    try {
      const { developer, invoke, audit, server } = await orgWith({
        url: own.url,
        limits: { breakerThreshold: 2, breakerCooldownMs: 4000 },
      });
      expect((await server()).json.breaker).toEqual({
        state: 'closed',
        consecutiveFailures: 0,
        openedAt: null,
        retryAt: null,
      });
      await own.stop();
      const r = await invoke('echo', { text: 'outlives the outage' });
      const view = await waitFor(
        async () => (await server()).json,
        (v) => v.breaker.state === 'open',
        { what: 'the breaker to open', timeoutMs: 20_000 },
      );
      expect(view.breaker).toMatchObject({ state: 'open', consecutiveFailures: 2 });
      expect(new Date(view.breaker.retryAt).getTime() - new Date(view.breaker.openedAt).getTime()).toBe(4000);

      const refused = await invoke('echo', { text: 'while open' });
      expect(refused.status, refused.text).toBe(503);
      expect(refused.json.error.code).toBe('circuit_open');
      expect(refused.json.error.message).toContain(
        'circuit breaker of MCP server limited is open after 2 consecutive failures',
      );
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

      await own.restart();
      // The first invocation kept being retried; after the cooldown its retry is the probe, and succeeds.
      const done = await waitForStatus(platform.url, developer.key, r.json.invocationId, 'succeeded', 30_000);
      expect(done.result.structuredContent).toEqual({ text: 'outlives the outage' });
      expect((await server()).json.breaker).toEqual({
        state: 'closed',
        consecutiveFailures: 0,
        openedAt: null,
        retryAt: null,
      });
      const events = await audit(r.json.invocationId);
      expect(events.find((e) => e.action === 'mcp_server.circuit_opened')?.data).toMatchObject({
        server: 'limited',
        breakerThreshold: 2,
      });
      expect(events.find((e) => e.action === 'tool.limit_exceeded')?.data).toMatchObject({
        limit: 'breakerThreshold',
        value: 2,
      });
      expect(events.map((e) => e.action)).toContain('mcp_server.circuit_closed');
      expect((await invoke('echo', { text: 'closed again' }, { wait: 20 })).json.status).toBe('succeeded');
    } finally {
      await own.stop().catch(() => undefined);
    }
  });
});

describe('security level', () => {
  it("sets a critical server's default limits and makes policy ask an admin even for a low-risk call", async () => {
    const { org, invoke, server } = await orgWith({ securityLevel: 'critical' });
    const view = (await server()).json;
    expect(view.securityLevel).toBe('critical');
    expect(view.effectiveLimits).toEqual(LIMIT_DEFAULTS.critical);
    const r = await invoke('echo', { text: 'on a critical server' });
    const pending = await waitForStatus(platform.url, org.adminKey, r.json.invocationId, 'pending_approval');
    expect(pending.approval.approverRoles).toEqual(['admin']);
    expect(pending.decision.reasons).toEqual([
      'low risk capability on critical security level server limited requires approval by admin',
    ]);
  });
});
