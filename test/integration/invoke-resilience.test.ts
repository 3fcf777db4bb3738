// Durability of governed invocations: approval expiry, MCP servers dying around a call, a worker dying mid-approval.
import { Client, Connection } from '@temporalio/client';
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
import { InvocationRecords } from '../../core/invocations/invocation-records.js';
import { ToolCalls } from '../../core/invocations/tool-call.js';
import { createWorkerDeps } from '../../workers/worker-deps.js';
import { call, createOrg, startApi, testConfig, testLogger, testPolicy, testPool } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

let mcpHttp: HttpMcpServer;
beforeAll(async () => {
  mcpHttp = await startHttpMcpServer();
});
afterAll(() => mcpHttp?.stop());

/** An org with the test HTTP server registered and an agent over its tools. */
async function orgWithAgent(platform: Awaited<ReturnType<typeof startPlatform>>) {
  const org = await createOrg(platform.db, 'resilience');
  const { agentId } = await createServerAndAgent(
    platform.url,
    org.adminKey,
    { name: 'testhttp', transport: 'http', url: mcpHttp.url },
    {
      name: 'resilient',
      capabilities: [
        { name: 'echo', tool: 'echo', risk: 'low' },
        { name: 'slow_write', tool: 'slow', risk: 'low' },
        { name: 'note', tool: 'record', risk: 'high' },
      ],
    },
  );
  const developer = await userWithRole(platform.db, org.org.id, 'developer');
  const approver = await userWithRole(platform.db, org.org.id, 'approver');
  const invoke = (capability: string, input: Record<string, unknown>) =>
    call(`${platform.url}/v1/agents/${agentId}/invoke`, {
      method: 'POST',
      key: developer.key,
      json: { capability, input },
    });
  return { org, developer, approver, invoke };
}

describe('durability', () => {
  it('expires an approval nobody decides (durable timer) and never calls the tool', async () => {
    const platform = await startPlatform({ approvalTimeoutMs: 1500 });
    try {
      const { developer, invoke } = await orgWithAgent(platform);
      const r = await invoke('note', { note: 'expiring-note' });
      const done = await waitForStatus(platform.url, developer.key, r.json.invocationId, 'expired');
      expect(done.error.code).toBe('approval_expired');
      expect(done.approval.status).toBe('expired');
      expect((await mcpHttp.calls()).filter((c) => c.arguments.note === 'expiring-note')).toEqual([]);
    } finally {
      await platform.stop();
    }
  });

  it('honours a per-request approval expiry over the configured default', async () => {
    const platform = await startPlatform();
    try {
      const { developer } = await orgWithAgent(platform);
      const agents = await call(`${platform.url}/v1/agents`, { key: developer.key });
      const r = await call(`${platform.url}/v1/agents/${agents.json.data[0].id}/invoke?wait=15`, {
        method: 'POST',
        key: developer.key,
        json: { capability: 'note', input: { note: 'short-fuse' }, approvalExpiresIn: 1 },
      });
      expect(r.status).toBe(200);
      expect(r.json.status).toBe('expired');
      expect(
        new Date(r.json.approval.expiresAt).getTime() - new Date(r.json.approval.createdAt).getTime(),
      ).toBeLessThan(2000);
    } finally {
      await platform.stop();
    }
  });

  it('keeps an invocation Temporal could not take (503) and starts it on a replay with the same key', async () => {
    const platform = await startPlatform();
    const deadTemporal = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 500 });
    const cut = await startApi({
      db: platform.db,
      taskQueue: platform.taskQueue,
      temporal: new Client({ connection: deadTemporal }),
    });
    try {
      const { developer } = await orgWithAgent(platform);
      const agentId = (await call(`${platform.url}/v1/agents`, { key: developer.key })).json.data[0].id;
      const body = { capability: 'echo', input: { text: 'not lost' } };
      const headers = { 'idempotency-key': 'retry-after-outage' };
      const failed = await call(`${cut.url}/v1/agents/${agentId}/invoke`, {
        method: 'POST',
        key: developer.key,
        json: body,
        headers,
      });
      expect(failed.status).toBe(503);
      expect(failed.json.error.code).toBe('temporal_unavailable');
      const replay = await call(`${platform.url}/v1/agents/${agentId}/invoke?wait=20`, {
        method: 'POST',
        key: developer.key,
        json: body,
        headers,
      });
      expect(replay.json.invocationId).toBe(failed.json.error.details.invocationId);
      expect(replay.json.status).toBe('succeeded');
    } finally {
      await cut.close();
      await deadTemporal.close().catch(() => undefined);
      await platform.stop();
    }
  });

  it('retries a call while the MCP server is down and succeeds once it is back', async () => {
    const platform = await startPlatform();
    try {
      const { org, developer, invoke } = await orgWithAgent(platform);
      await mcpHttp.stop();
      const r = await invoke('echo', { text: 'survives an outage' });
      // Wait until at least one attempt failed against the dead server...
      const connectFailures = async () => {
        const audit = await call(`${platform.url}/v1/audit?invocationId=${r.json.invocationId}`, { key: org.adminKey });
        return audit.json.data.filter(
          (e: { action: string; data: { kind: string } }) =>
            e.action === 'tool.call_failed' && e.data.kind === 'connect',
        ).length as number;
      };
      expect(
        await waitFor(connectFailures, (failures) => failures > 0, {
          what: 'an audited connect failure against the dead server',
          timeoutMs: 20_000,
        }),
      ).toBeGreaterThan(0);
      expect(
        (await call(`${platform.url}/v1/invocations/${r.json.invocationId}`, { key: developer.key })).json.status,
      ).toBe('running');
      // ...then bring it back: the next retry goes through, exactly once.
      await mcpHttp.restart();
      const done = await waitForStatus(platform.url, developer.key, r.json.invocationId, 'succeeded');
      expect(done.result.structuredContent).toEqual({ text: 'survives an outage' });
      expect((await mcpHttp.calls()).filter((c) => c.meta?.idempotencyKey === r.json.invocationId)).toHaveLength(1);
    } finally {
      await platform.stop();
    }
  });

  it('does not retry a non-idempotent tool whose server died during the call', async () => {
    // The SDK notices a Streamable HTTP server dying mid-answer only at the call timeout: keep it short.
    const platform = await startPlatform({ toolTimeoutMs: 3000 });
    try {
      const { developer, invoke } = await orgWithAgent(platform);
      const r = await invoke('slow_write', { ms: 2500 });
      // Kill the server while the request is in flight.
      await waitFor(
        () => mcpHttp.calls(),
        (calls) => calls.some((c) => c.meta?.idempotencyKey === r.json.invocationId),
        { what: 'the slow call to reach the server', timeoutMs: 10_000, intervalMs: 50 },
      );
      await mcpHttp.restart();
      const done = await waitForStatus(platform.url, developer.key, r.json.invocationId, 'failed');
      expect(done.error.code).toBe('tool_call_indeterminate');
      expect((await mcpHttp.calls()).filter((c) => c.meta?.idempotencyKey === r.json.invocationId)).toEqual([]);
    } finally {
      await platform.stop();
    }
  });

  it('does not call a non-idempotent tool again when the worker died while its call was in flight', async () => {
    const platform = await startPlatform({ worker: 'none' });
    let worker = spawnWorkerProcess(platform.taskQueue);
    try {
      await worker.ready;
      const { developer, invoke } = await orgWithAgent(platform);
      const r = await invoke('slow_write', { ms: 4000 });
      const id = r.json.invocationId as string;
      const callsOf = async () => (await mcpHttp.calls()).filter((c) => c.meta?.idempotencyKey === id);
      await waitFor(callsOf, (calls) => calls.length === 1, {
        what: 'the slow call to reach the server',
        timeoutMs: 15_000,
        intervalMs: 50,
      });
      worker.child.kill('SIGKILL');
      await worker.exited;
      worker = spawnWorkerProcess(platform.taskQueue);
      await worker.ready;
      // Temporal retries the activity once the lost worker's heartbeat times out (30 s).
      const done = await waitForStatus(platform.url, developer.key, id, 'failed', 90_000);
      expect(done.error.code).toBe('tool_call_indeterminate');
      expect(done.error.message).toMatch(/earlier attempt sent the call/);
      expect(await callsOf()).toHaveLength(1);
      const lost = await platform
        .db('audit_events')
        .where({ invocation_id: id, action: 'tool.call_failed' })
        .select('data');
      expect(lost.map((e) => e.data.kind)).toEqual(['attempt_lost']);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
      await platform.stop();
    }
  }, 120_000);

  it('does not call the tool again for an attempt that finds its success already recorded', async () => {
    const platform = await startPlatform();
    const pool = testPool({ logger: testLogger });
    const policy = await testPolicy();
    const { deps, close } = await createWorkerDeps(testConfig(), {
      db: platform.db,
      logger: testLogger,
      mcp: pool,
      policy,
    });
    try {
      const { developer, invoke } = await orgWithAgent(platform);
      const r = await invoke('echo', { text: 'once' });
      const id = r.json.invocationId as string;
      await waitForStatus(platform.url, developer.key, id, 'succeeded');
      const callsOf = async () => (await mcpHttp.calls()).filter((c) => c.meta?.idempotencyKey === id);
      expect(await callsOf()).toHaveLength(1);
      // What a retried attempt sees when its worker died after recording the success, before Temporal heard of it.
      const toolCalls = new ToolCalls({ ...deps, records: new InvocationRecords(platform.db, policy) });
      expect(await toolCalls.call(id, { attempt: 2 })).toEqual({ kind: 'succeeded' });
      expect(await callsOf()).toHaveLength(1);
    } finally {
      await close();
      await pool.closeAll();
      await platform.stop();
    }
  });

  it('completes an invocation approved after its worker was killed while the approval was pending', async () => {
    const platform = await startPlatform({ worker: 'none' });
    let worker = spawnWorkerProcess(platform.taskQueue);
    try {
      await worker.ready;
      const { developer, approver, invoke } = await orgWithAgent(platform);
      const r = await invoke('note', { note: 'outlives-the-worker' });
      const pending = await waitForStatus(platform.url, developer.key, r.json.invocationId, 'pending_approval');
      worker.child.kill('SIGKILL');
      await worker.exited;
      worker = spawnWorkerProcess(platform.taskQueue);
      await worker.ready;
      const ok = await call(`${platform.url}/v1/approvals/${pending.approval.id}/approve`, {
        method: 'POST',
        key: approver.key,
        json: {},
      });
      expect(ok.status, ok.text).toBe(200);
      await waitForStatus(platform.url, developer.key, r.json.invocationId, 'succeeded');
      expect((await mcpHttp.calls()).filter((c) => c.arguments.note === 'outlives-the-worker')).toHaveLength(1);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
      await platform.stop();
    }
  });
});
