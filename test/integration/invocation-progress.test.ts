// An upstream tool's notifications/progress on the real path: HTTP API → workflow → worker's MCP call →
// the invocation row and its REST view, while the call runs and after it ended.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { createServerAndAgent, startPlatform, waitForStatus } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

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

const invoke = (adminKey: string, agentId: string, capability: string, input: unknown, wait?: number) =>
  call(`${platform.url}/v1/agents/${agentId}/invoke${wait ? `?wait=${wait}` : ''}`, {
    method: 'POST',
    key: adminKey,
    json: { capability, input },
  });
const view = async (adminKey: string, invocationId: string) =>
  (await call(`${platform.url}/v1/invocations/${invocationId}`, { key: adminKey })).json;
const isoDate = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

describe('progress of an upstream tool', () => {
  it('shows on the invocation while its tool runs, ends on the last step, and is null for a tool that reports none', async () => {
    const { adminKey } = await createOrg(platform.db, 'progress');
    const { agentId } = await createServerAndAgent(
      platform.url,
      adminKey,
      { name: 'steps', transport: 'http', url: mcpHttp.url },
      {
        name: 'stepper',
        capabilities: [
          { name: 'work', tool: 'slow_steps', risk: 'low' },
          { name: 'say', tool: 'echo', risk: 'low' },
        ],
      },
    );
    const started = await invoke(adminKey, agentId, 'work', { steps: 4, delayMs: 500 });
    expect(started.status, started.text).toBe(202);
    const id = started.json.invocationId as string;

    const midway = await waitFor(
      () => view(adminKey, id),
      (v) => v?.status === 'running' && v.progress !== null,
      { what: `invocation ${id} to show progress while running` },
    );
    const step = midway.progress.progress as number;
    expect(midway.progress).toEqual({ progress: step, total: 4, message: `step ${step} of 4`, at: isoDate });
    expect(step).toBeLessThan(4);

    const ended = await waitForStatus(platform.url, adminKey, id, 'succeeded');
    expect(ended.progress).toEqual({ progress: 4, total: 4, message: 'step 4 of 4', at: isoDate });
    const row = await platform.db('invocations').where({ id }).first();
    expect(row.progress).toEqual({ progress: 4, total: 4, message: 'step 4 of 4', at: ended.progress.at });
    // The SDK's progressToken travels beside Collexa's own _meta.
    const seen = (await mcpHttp.calls()).find((c) => c.meta?.idempotencyKey === id);
    expect(seen?.meta).toEqual({ 'collexa/invocationId': id, idempotencyKey: id, progressToken: expect.any(Number) });

    const quiet = await invoke(adminKey, agentId, 'say', { text: 'hi' }, 30);
    expect(quiet.json.status, quiet.text).toBe('succeeded');
    expect(quiet.json.progress).toBeNull();
  });

  it('redacts a bound secret from the progress message before it reaches the row', async () => {
    const { org, adminKey } = await createOrg(platform.db, 'progress secret');
    const value = `progress-secret-${randomUUID()}`;
    const secret = await call(`${platform.url}/v1/secrets`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'TOKEN', value },
    });
    expect(secret.status, secret.text).toBe(201);
    const { agentId } = await createServerAndAgent(
      platform.url,
      adminKey,
      { name: 'steps', transport: 'http', url: mcpHttp.url, headers: { 'x-test-secret': 'secret:TOKEN' } },
      { name: 'stepper', capabilities: [{ name: 'work', tool: 'slow_steps', risk: 'low' }] },
    );
    const started = await invoke(adminKey, agentId, 'work', { steps: 2, delayMs: 50 });
    const id = started.json.invocationId as string;
    const ended = await waitForStatus(platform.url, adminKey, id, 'succeeded');
    expect(ended.progress).toMatchObject({ progress: 2, total: 2, message: 'step 2 of 2 (token [secret:TOKEN])' });
    // The server did send the value: the header resolved, and only redaction kept it out.
    expect((await mcpHttp.secretHeaders()).map((h) => h.value)).toContain(value);
    const rows = JSON.stringify(await platform.db('invocations').where({ org_id: org.id }));
    expect(rows).toContain('[secret:TOKEN]');
    expect(rows).not.toContain(value);
    expect(JSON.stringify(ended)).not.toContain(value);
  });
});
