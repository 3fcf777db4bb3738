// Capabilities on 2026-07-28-only MCP servers on the real path: registered over REST (HTTP, and stdio in
// the sandbox), their tools pinned, invoked through the API → workflow → the worker's MCP client, which
// speaks 2026-07-28 to them (they refuse initialize).
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolDefinitionHash } from '../../core/mcp/tool-pin.js';
import { PROJECT_ROOT } from '../../core/paths.js';
import { startModernHttpMcpServer, type ModernHttpMcpServer } from '../helpers/mcp-servers.js';
import { createServerAndAgent, startPlatform, waitForStatus } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';

const STDIO_FIXTURE = path.join(PROJECT_ROOT, 'test', 'fixtures', 'mcp-stdio-modern-server.mts');
// By URL: the server's cwd is its own work dir, where a bare `--import tsx` would not resolve.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

let platform: Awaited<ReturnType<typeof startPlatform>>;
let modern: ModernHttpMcpServer;
beforeAll(async () => {
  modern = await startModernHttpMcpServer();
  platform = await startPlatform({ mcpHealthIntervalMs: 60_000 });
}, 120_000);
afterAll(async () => {
  await platform?.stop();
  await modern?.stop();
});

const SERVERS = {
  http: () => ({ transport: 'http', url: modern.url }),
  stdio: () => ({ transport: 'stdio', command: process.execPath, args: ['--import', TSX, STDIO_FIXTURE] }),
};

describe.each(['http', 'stdio'] as const)('an agent on a 2026-07-28-only server over %s', (transport) => {
  it('runs its capabilities through the API, records the tool’s progress and pins the outputSchema', async () => {
    const { adminKey } = await createOrg(platform.db, `modern ${transport}`);
    await modern.clearCalls();
    const { serverId, agentId } = await createServerAndAgent(
      platform.url,
      adminKey,
      { name: 'modern', ...SERVERS[transport]() },
      {
        name: 'modern-agent',
        capabilities: [
          { name: 'sum', tool: 'add', risk: 'low' },
          { name: 'work', tool: 'slow_steps', risk: 'low' },
        ],
      },
    );
    const invoke = (capability: string, input: unknown, wait?: number) =>
      call(`${platform.url}/v1/agents/${agentId}/invoke${wait ? `?wait=${wait}` : ''}`, {
        method: 'POST',
        key: adminKey,
        json: { capability, input },
      });

    const sum = await invoke('sum', { a: 2, b: 40 }, 30);
    expect(sum.json.status, sum.text).toBe('succeeded');
    expect(sum.json.result.structuredContent).toEqual({ sum: 42 });

    const started = await invoke('work', { steps: 3, delayMs: 200 });
    expect(started.status, started.text).toBe(202);
    const ended = await waitForStatus(platform.url, adminKey, started.json.invocationId, 'succeeded');
    expect(ended.progress).toMatchObject({ progress: 3, total: 3, message: 'step 3 of 3' });

    // The pin covers the definition as the server sent it, outputSchema included.
    const sent = (await modern.sentTools()).find((t) => t.name === 'add')!;
    const pinned = await platform.db('agent_capabilities').where({ agent_id: agentId, name: 'sum' }).first();
    expect(pinned.tool_definition.outputSchema).toEqual(sent.outputSchema);
    expect(pinned.pinned_hash).toBe(toolDefinitionHash(sent as Parameters<typeof toolDefinitionHash>[0]));
    const server = await call(`${platform.url}/v1/mcp-servers/${serverId}`, { key: adminKey });
    expect(server.json.status).toBe('healthy');

    if (transport === 'http') {
      const methods = (await modern.requests()).map((r) => r.method);
      expect(methods).not.toContain('initialize');
      expect(methods).toContain('server/discover');
      const calls = await modern.calls();
      expect(calls.map((c) => c.tool)).toEqual(['add', 'slow_steps']);
      expect(calls[0]?.meta).toMatchObject({
        'collexa/invocationId': sum.json.invocationId,
        idempotencyKey: sum.json.invocationId,
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      });
    }
  });
});
