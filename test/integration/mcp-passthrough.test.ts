// What passes through Collexa's /mcp/:agentId between a caller and the upstream tool, on the real path
// (API, Temporal, worker, the test HTTP MCP server): the tool's notifications/progress reach the caller,
// and the caller's cancellation of a running call reaches the tool's server as notifications/cancelled.
import { Client, StreamableHTTPClientTransport, type Progress } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { createServerAndAgent, startPlatform, userWithRole, waitForStatus } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

type Caller = 'modern' | 'legacy' | 'v1';

let platform: Awaited<ReturnType<typeof startPlatform>>;
let mcpHttp: HttpMcpServer;
let agentId: string;
let developer: string;
const clients: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  mcpHttp = await startHttpMcpServer();
  platform = await startPlatform({ mcpEndpoint: { approvalWaitMs: 30_000 } });
  const org = await createOrg(platform.db, 'mcp-passthrough');
  ({ agentId } = await createServerAndAgent(
    platform.url,
    org.adminKey,
    { name: 'testhttp', transport: 'http', url: mcpHttp.url },
    { name: 'steps-agent', capabilities: [{ name: 'steps', tool: 'slow_steps', risk: 'low' }] },
  ));
  developer = (await userWithRole(platform.db, org.org.id, 'developer')).key;
}, 120_000);
afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await platform?.stop();
  await mcpHttp?.stop();
});

/** A stock client on the agent's endpoint: SDK v2 in 2026-07-28 or 2025 mode, or the v1 SDK (1.32). */
async function connect(caller: Caller) {
  const url = new URL(`${platform.url}/mcp/${agentId}`);
  const requestInit = { headers: { authorization: `Bearer ${developer}` } };
  if (caller === 'v1') {
    const client = new V1Client({ name: 'passthrough-v1', version: '1.0.0' });
    await client.connect(new V1Transport(url, { requestInit }));
    clients.push(client);
    return {
      callTool: (args: Record<string, number>, opts: { onprogress?: (p: Progress) => void; signal?: AbortSignal }) =>
        client.callTool({ name: 'steps', arguments: args }, undefined, { ...opts, timeout: 120_000 }),
    };
  }
  const client = new Client(
    { name: `passthrough-${caller}`, version: '1.0.0' },
    caller === 'modern' ? { versionNegotiation: { mode: 'auto' } } : {},
  );
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit }));
  expect(client.getProtocolEra()).toBe(caller);
  clients.push(client);
  return {
    callTool: (args: Record<string, number>, opts: { onprogress?: (p: Progress) => void; signal?: AbortSignal }) =>
      client.callTool({ name: 'steps', arguments: args }, { ...opts, timeout: 120_000 }),
  };
}

describe.each(['modern', 'legacy', 'v1'] as const)('a %s caller', (caller) => {
  it('gets the upstream tool’s progress notifications, ending with its last, before the result', async () => {
    const client = await connect(caller);
    const progress: Progress[] = [];
    const result = await client.callTool({ steps: 4, delayMs: 400 }, { onprogress: (p) => progress.push(p) });
    expect(result.isError).toBeFalsy();
    expect(progress.length).toBeGreaterThanOrEqual(2);
    // As the tool sent them (no approval wait to shift them), strictly increasing, the last one included.
    expect(progress.at(-1)).toEqual({ progress: 4, total: 4, message: 'step 4 of 4' });
    for (const [i, p] of progress.entries()) {
      if (i > 0) expect(p.progress).toBeGreaterThan(progress[i - 1]!.progress);
      expect(p).toEqual({ progress: p.progress, total: 4, message: `step ${p.progress} of 4` });
    }
  });

  it('cancels a running call when it cancels, and the upstream server hears notifications/cancelled', async () => {
    await mcpHttp.clearCalls();
    const client = await connect(caller);
    const stop = new AbortController();
    const answered = client.callTool({ steps: 60, delayMs: 500 }, { signal: stop.signal, onprogress: () => {} });
    answered.catch(() => undefined);
    // The tool is running once the upstream server reports its first step.
    const running = await waitFor(
      () => platform.db('invocations').where({ agent_id: agentId, status: 'running' }).whereNotNull('progress'),
      (rows) => rows.length === 1,
      { what: 'the tool to run and report progress' },
    );
    const invocationId = running[0].id as string;
    stop.abort();
    await expect(answered).rejects.toThrow();
    await waitForStatus(platform.url, developer, invocationId, 'cancelled');
    const cancels = await waitFor(
      () => mcpHttp.cancellations(),
      (c) => c.length === 1,
      { what: 'the upstream server to hear the cancellation', timeoutMs: 30_000 },
    );
    expect(cancels).toHaveLength(1);
    // The tool was called once and not carried on to its end.
    const inv = await call(`${platform.url}/v1/invocations/${invocationId}`, { key: developer });
    expect(inv.json.progress.progress).toBeLessThan(60);
  });
});
