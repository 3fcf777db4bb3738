// Idempotency keys and generated invocation ids never name the same workflow (real API, worker, Temporal, MCP).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { createServerAndAgent, startPlatform, waitForStatus } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';

let platform: Awaited<ReturnType<typeof startPlatform>>;
let mcpHttp: HttpMcpServer;
let adminKey: string;
let agentId: string;

beforeAll(async () => {
  mcpHttp = await startHttpMcpServer();
  platform = await startPlatform();
  const org = await createOrg(platform.db, 'idem-ids');
  adminKey = org.adminKey;
  ({ agentId } = await createServerAndAgent(
    platform.url,
    adminKey,
    { name: 'idem', transport: 'http', url: mcpHttp.url },
    {
      name: 'idem-agent',
      capabilities: [
        { name: 'sum', tool: 'add', risk: 'low' },
        { name: 'note', tool: 'record', risk: 'high' },
      ],
    },
  ));
}, 120_000);
afterAll(async () => {
  await platform?.stop();
  await mcpHttp?.stop();
});

const invoke = (body: unknown, opts: { idempotencyKey?: string; wait?: number } = {}) =>
  call(`${platform.url}/v1/agents/${agentId}/invoke${opts.wait ? `?wait=${opts.wait}` : ''}`, {
    method: 'POST',
    key: adminKey,
    json: body,
    headers: opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {},
  });

describe('an Idempotency-Key equal to another invocation’s id', () => {
  it('runs an invocation of its own instead of leaving a row running forever', async () => {
    const first = await invoke({ capability: 'sum', input: { a: 1, b: 2 } }, { wait: 30 });
    expect(first.json.status, first.text).toBe('succeeded');
    const keyed = await invoke(
      { capability: 'sum', input: { a: 20, b: 22 } },
      { idempotencyKey: first.json.invocationId, wait: 30 },
    );
    expect(keyed.json.invocationId).not.toBe(first.json.invocationId);
    expect(keyed.json.workflowId).not.toBe(first.json.workflowId);
    expect(keyed.json.status, keyed.text).toBe('succeeded');
    expect(JSON.stringify(keyed.json.result)).toContain('42');
    // The key still deduplicates: the same request again is the same invocation.
    const again = await invoke(
      { capability: 'sum', input: { a: 20, b: 22 } },
      { idempotencyKey: first.json.invocationId },
    );
    expect(again.json.invocationId).toBe(keyed.json.invocationId);
  });

  it('cancels only itself, never the invocation whose id it borrowed', async () => {
    const other = await invoke({ capability: 'note', input: { note: 'the other one' } });
    expect(other.status, other.text).toBe(202);
    await waitForStatus(platform.url, adminKey, other.json.invocationId, 'pending_approval');
    const keyed = await invoke(
      { capability: 'note', input: { note: 'borrowed key' } },
      { idempotencyKey: other.json.invocationId },
    );
    await waitForStatus(platform.url, adminKey, keyed.json.invocationId, 'pending_approval');
    const cancelled = await call(`${platform.url}/v1/invocations/${keyed.json.invocationId}/cancel`, {
      method: 'POST',
      key: adminKey,
    });
    expect(cancelled.json.status, cancelled.text).toBe('cancelled');
    const untouched = await call(`${platform.url}/v1/invocations/${other.json.invocationId}`, { key: adminKey });
    expect(untouched.json.status).toBe('pending_approval');
    expect(
      (await call(`${platform.url}/v1/approvals/${untouched.json.approval.id}`, { key: adminKey })).json.status,
    ).toBe('pending');
    await call(`${platform.url}/v1/invocations/${other.json.invocationId}/cancel`, { method: 'POST', key: adminKey });
  });
});
