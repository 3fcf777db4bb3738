// GET /metrics: who may read it (a scraper's METRICS_TOKEN, an operator admin; no tenant), and that its
// counters and gauges follow real work: invocations through the API and worker, an approval left pending.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { createServerAndAgent, startPlatform, userWithRole, waitForStatus } from '../helpers/platform.js';
import { call, createOrg, testDb } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

const token = randomBytes(24).toString('hex');
let platform: Awaited<ReturnType<typeof startPlatform>>;
let mcp: HttpMcpServer;
let operator: Awaited<ReturnType<typeof createOrg>>;

beforeAll(async () => {
  const db = testDb();
  operator = await createOrg(db, 'metrics operator');
  await db.destroy();
  mcp = await startHttpMcpServer();
  platform = await startPlatform({ operatorOrgId: operator.org.id, metricsToken: token });
});
afterAll(async () => {
  await platform?.stop();
  await mcp?.stop();
});

const scrape = async (key = token) => {
  const r = await call(`${platform.url}/metrics`, { key });
  expect(r.status, r.text).toBe(200);
  return r.text;
};
/** The value of one series, `name{labels}` exactly as Prometheus' text format writes it; 0 when absent. */
const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
};

describe('GET /metrics', () => {
  it('counts limit rejections at the door and webhook deliveries', async () => {
    const org = await createOrg(platform.db, 'metrics limits');
    const hooks: string[] = [];
    const receiver = http.createServer((req, res) => {
      hooks.push(String(req.headers['webhook-id']));
      req.resume();
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const set = await call(`${platform.url}/v1/org`, {
        method: 'PATCH',
        key: org.adminKey,
        json: { settings: { approvalWebhook: { url, secret: `whsec_${randomBytes(32).toString('base64')}` } } },
      });
      expect(set.status, set.text).toBe(200);
      const { agentId } = await createServerAndAgent(
        platform.url,
        org.adminKey,
        { name: 'metrics-limited', transport: 'http', url: mcp.url, limits: { ratePerSecond: 0.25 } },
        { name: 'metrics-limited-agent', capabilities: [{ name: 'note', tool: 'record', risk: 'high' }] },
      );
      const developer = await userWithRole(platform.db, org.org.id, 'developer');
      const before = await scrape();
      const invoke = () =>
        call(`${platform.url}/v1/agents/${agentId}/invoke`, {
          method: 'POST',
          key: developer.key,
          json: { capability: 'note', input: { note: 'limited' } },
        });
      const first = await invoke();
      expect(first.status, first.text).toBe(202);
      expect((await invoke()).status).toBe(429);
      await waitForStatus(platform.url, developer.key, first.json.invocationId, 'pending_approval');
      await waitFor(
        async () => hooks.length,
        (n) => n >= 1,
        { what: 'the approval webhook' },
      );
      const after = await scrape();
      const rejected = 'collexa_limit_rejections_total{code="rate_limited",where="door"}';
      expect(value(after, rejected) - value(before, rejected)).toBe(1);
      const delivered = 'collexa_webhook_deliveries_total{outcome="delivered"}';
      expect(value(after, delivered) - value(before, delivered)).toBeGreaterThanOrEqual(1);
    } finally {
      receiver.close();
    }
  });

  it('answers a scraper token and an operator admin, and refuses everyone else', async () => {
    expect((await call(`${platform.url}/metrics`)).status).toBe(401);
    const wrong = await call(`${platform.url}/metrics`, { key: token.slice(0, -1) + 'x' });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.code).toBe('unauthorized');
    // A tenant's admin sees only their org anywhere else: every org's counts are not theirs to read.
    const tenant = await createOrg(platform.db, 'metrics tenant');
    const refused = await call(`${platform.url}/metrics`, { key: tenant.adminKey });
    expect(refused.status).toBe(403);
    expect(refused.json.error.details.reason).toBe('not_operator');
    const operatorDeveloper = await userWithRole(platform.db, operator.org.id, 'developer');
    expect((await call(`${platform.url}/metrics`, { key: operatorDeveloper.key })).status).toBe(403);

    const text = await scrape(operator.adminKey);
    expect(text).toContain('# TYPE collexa_http_requests_total counter');
    expect(text).toContain('collexa_api_process_resident_memory_bytes');
  });

  it('counts invocations by route and status, and shows open work and the approval queue', async () => {
    const org = await createOrg(platform.db, 'metrics work');
    const { agentId, serverId } = await createServerAndAgent(
      platform.url,
      org.adminKey,
      { name: 'metrics-http', transport: 'http', url: mcp.url },
      {
        name: 'metrics-agent',
        capabilities: [
          { name: 'echo', tool: 'echo', risk: 'low' },
          { name: 'note', tool: 'record', risk: 'high' },
        ],
      },
    );
    const developer = await userWithRole(platform.db, org.org.id, 'developer');
    const invoke = (capability: string, input: Record<string, unknown>) =>
      call(`${platform.url}/v1/agents/${agentId}/invoke`, {
        method: 'POST',
        key: developer.key,
        json: { capability, input },
      });
    const accepted = 'collexa_http_requests_total{method="POST",route="/v1/agents/:agentId/invoke",status="202"}';
    const before = await scrape();

    const ok = await invoke('echo', { text: 'counted' });
    expect(ok.status, ok.text).toBe(202);
    await waitForStatus(platform.url, developer.key, ok.json.invocationId, 'succeeded');
    const parked = await invoke('note', { note: 'waits for an approver' });
    expect(parked.status, parked.text).toBe(202);
    await waitForStatus(platform.url, developer.key, parked.json.invocationId, 'pending_approval');
    const bad = await invoke('echo', { text: 1 });
    const after = await scrape();

    expect(value(after, accepted) - value(before, accepted)).toBe(2);
    const badSeries = `collexa_http_requests_total{method="POST",route="/v1/agents/:agentId/invoke",status="${bad.status}"}`;
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(value(after, badSeries) - value(before, badSeries)).toBe(1);
    // A path no route matched is one series, whatever the path: a caller cannot mint new ones.
    await call(`${platform.url}/no/such/${randomBytes(4).toString('hex')}`, { key: developer.key });
    expect(await scrape()).toContain('route="unmatched"');

    // The worker's counters (in this process here; on WORKER_METRICS_PORT in production, see worker-metrics.test.ts).
    const toolOk = `collexa_tool_call_duration_seconds_count{server="${serverId}",outcome="ok"}`;
    expect(value(after, toolOk) - value(before, toolOk)).toBe(1);
    const finished = 'collexa_invocations_finished_total{status="succeeded",risk="low"}';
    expect(value(after, finished) - value(before, finished)).toBe(1);
    expect(value(after, 'collexa_invocations_open{status="pending_approval",risk="high"}')).toBeGreaterThanOrEqual(1);
    expect(value(after, 'collexa_approvals_pending')).toBeGreaterThanOrEqual(1);
    expect(value(after, 'collexa_approval_oldest_pending_age_seconds')).toBeGreaterThan(0);
    expect(after).toMatch(
      /collexa_http_request_duration_seconds_bucket\{le="0\.1",method="GET",route="\/v1\/invocations\/:id"\} \d+/,
    );
  });
});
