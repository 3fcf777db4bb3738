// The worker process's GET /metrics (WORKER_METRICS_PORT): METRICS_TOKEN only, the platform counters the
// worker moves, and the Temporal SDK's own worker metrics read from its loopback exporter.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/dev/processes.js';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import {
  createServerAndAgent,
  spawnWorkerProcess,
  startPlatform,
  userWithRole,
  waitForStatus,
} from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';

const token = randomBytes(24).toString('hex');
let platform: Awaited<ReturnType<typeof startPlatform>>;
let worker: ReturnType<typeof spawnWorkerProcess>;
let mcp: HttpMcpServer;
let metricsUrl: string;

beforeAll(async () => {
  mcp = await startHttpMcpServer();
  platform = await startPlatform({ worker: 'none' });
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  worker = spawnWorkerProcess(platform.taskQueue, { WORKER_METRICS_PORT: String(port), METRICS_TOKEN: token });
  await worker.ready;
}, 90_000);
afterAll(async () => {
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await platform?.stop();
  await mcp?.stop();
});

const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
};

describe("the worker's /metrics", () => {
  it('refuses anything but METRICS_TOKEN, and serves only GET /metrics', async () => {
    expect((await call(metricsUrl)).status).toBe(401);
    const wrong = await call(metricsUrl, { key: `${token.slice(0, -1)}x` });
    expect(wrong.status).toBe(403);
    expect(wrong.json.error.code).toBe('forbidden');
    // An org's admin key means nothing here: the worker authenticates no API keys.
    const org = await createOrg(platform.db, 'worker metrics tenant');
    expect((await call(metricsUrl, { key: org.adminKey })).status).toBe(403);
    expect((await call(metricsUrl.replace('/metrics', '/other'), { key: token })).status).toBe(404);
    expect((await call(metricsUrl, { key: token, method: 'POST' })).status).toBe(405);
  });

  it("counts the worker's tool calls and terminal writes, beside the Temporal SDK's worker metrics", async () => {
    const org = await createOrg(platform.db, 'worker metrics work');
    const { agentId, serverId } = await createServerAndAgent(
      platform.url,
      org.adminKey,
      { name: 'worker-metrics-http', transport: 'http', url: mcp.url },
      { name: 'worker-metrics-agent', capabilities: [{ name: 'echo', tool: 'echo', risk: 'medium' }] },
    );
    const developer = await userWithRole(platform.db, org.org.id, 'developer');
    for (const text of ['one', 'two']) {
      const r = await call(`${platform.url}/v1/agents/${agentId}/invoke`, {
        method: 'POST',
        key: developer.key,
        json: { capability: 'echo', input: { text } },
      });
      expect(r.status, r.text).toBe(202);
      await waitForStatus(platform.url, developer.key, r.json.invocationId, 'succeeded');
    }
    const scraped = await call(metricsUrl, { key: token });
    expect(scraped.status).toBe(200);
    const text = scraped.text;
    expect(value(text, `collexa_tool_call_duration_seconds_count{server="${serverId}",outcome="ok"}`)).toBe(2);
    expect(value(text, 'collexa_invocations_finished_total{status="succeeded",risk="medium"}')).toBe(2);
    expect(text).toContain('collexa_worker_process_resident_memory_bytes');
    expect(value(text, 'collexa_worker_sdk_metrics_up')).toBe(1);
    // The SDK's own series: workflow and activity tasks this worker ran, on its task queue.
    expect(text).toMatch(
      new RegExp(`temporal_workflow_task_execution_latency_count\\{[^}]*task_queue="${platform.taskQueue}"`),
    );
    expect(text).toMatch(/temporal_activity_execution_latency_count\{/);
  });
});
