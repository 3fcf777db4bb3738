// The worker's MCP client pool against upstream servers of either protocol era, on real servers: the
// 2026-07-28-only fixtures (HTTP, and stdio in the sandbox) and the 2025-only one (SDK v1), including a
// server that changes era on the same port. What the servers logged shows what went over the wire.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1Stdio } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as V1Http } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { McpClientPool, McpServerConfig } from '../../core/mcp/client-pool.js';
import { toolDefinitionHash } from '../../core/mcp/tool-pin.js';
import { PROJECT_ROOT } from '../../core/paths.js';
import { freePort } from '../../scripts/dev/processes.js';
import {
  everythingServer,
  httpServerConfig,
  startHttpMcpServer,
  startModernHttpMcpServer,
  stdioConfig,
  type ModernHttpMcpServer,
} from '../helpers/mcp-servers.js';
import { failureOf, loggedPool, textOf } from '../helpers/pool-calls.js';
import { testSandbox } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

const STDIO_FIXTURE = path.join(PROJECT_ROOT, 'test', 'fixtures', 'mcp-stdio-modern-server.mts');
const SCHEMAS_FIXTURE = path.join(PROJECT_ROOT, 'test', 'fixtures', 'mcp-stdio-schemas-server.mts');
// By URL: the server's cwd is its own work dir, where a bare `--import tsx` would not resolve.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

const pools: McpClientPool[] = [];
const stops: Array<() => Promise<void>> = [];
let modern: ModernHttpMcpServer;

function newPool(opts: { eraMaxAgeMs?: number } = {}) {
  const logged = loggedPool(opts);
  pools.push(logged.pool);
  return logged;
}
const methods = async (server: ModernHttpMcpServer) => (await server.requests()).map((r) => r.method);
const count = (list: string[], method: string) => list.filter((m) => m === method).length;

beforeAll(async () => {
  modern = await startModernHttpMcpServer();
  stops.push(() => modern.stop());
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.closeAll()));
  await Promise.all(stops.map((stop) => stop()));
});

describe('a 2026-07-28-only server over HTTP', () => {
  let server: McpServerConfig;
  beforeAll(() => {
    server = httpServerConfig(modern, { id: 'modern-http' });
  });

  it('is reached in 2026-07-28 (server/discover, never initialize) and lists the tools as the server sent them', async () => {
    const { pool } = newPool();
    await modern.clearCalls();
    const tools = await pool.listTools(server);
    expect(await methods(modern)).toEqual(['server/discover', 'tools/list']);
    const sent = await modern.sentTools();
    const pick = ({ name, title, description, inputSchema, outputSchema, annotations }: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries({ name, title, description, inputSchema, outputSchema, annotations }).filter(
          ([, v]) => v !== undefined,
        ),
      );
    expect(tools).toEqual(sent.map(pick));
    expect(tools.find((t) => t.name === 'add')).toMatchObject({
      outputSchema: { type: 'object', properties: { sum: { type: 'number' } }, required: ['sum'] },
      annotations: { idempotentHint: true },
    });
  });

  it('sends our _meta beside the 2026-07-28 envelope, and returns the structured result', async () => {
    const { pool } = newPool();
    await modern.clearCalls();
    const meta = { 'collexa/invocationId': 'inv-m1', idempotencyKey: 'inv-m1' };
    const result = await pool.callTool(server, { name: 'whoami', arguments: {}, meta });
    expect(result.structuredContent).toEqual(meta); // the tool sees ours; the SDK keeps the envelope to itself
    expect(await modern.calls()).toMatchObject([
      {
        tool: 'whoami',
        meta: {
          ...meta,
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: 'collexa' },
        },
      },
    ]);
    expect((await pool.callTool(server, { name: 'add', arguments: { a: 2, b: 3 } })).structuredContent).toEqual({
      sum: 5,
    });
  });

  it('hears the progress of a call', async () => {
    const { pool } = newPool();
    const heard: unknown[] = [];
    const result = await pool.callTool(server, {
      name: 'slow_steps',
      arguments: { steps: 3, delayMs: 10 },
      onprogress: (p) => heard.push(p),
    });
    expect(textOf(result)).toBe('3 steps done');
    expect(heard).toEqual([1, 2, 3].map((step) => ({ progress: step, total: 3, message: `step ${step} of 3` })));
  });

  it('cancels an aborted call upstream (2026-07-28 closes its stream) and rejects it with the signal reason', async () => {
    const { pool } = newPool();
    await modern.clearCalls();
    const controller = new AbortController();
    const reason = new Error('cancelled by the workflow');
    setTimeout(() => controller.abort(reason), 300); // an action mid-call (the tool takes 5 s), not a wait
    await expect(
      pool.callTool(server, {
        name: 'slow_steps',
        arguments: { steps: 50, delayMs: 100 },
        signal: controller.signal,
      }),
    ).rejects.toBe(reason);
    const aborts = await waitFor(
      () => modern.aborts(),
      (a) => a.length === 1,
      { what: 'the server to see the call abandoned', timeoutMs: 5000 },
    );
    expect(aborts).toMatchObject([{ tool: 'slow_steps' }]);
  });

  it('times a slow call out as timeout, after reaching the server', async () => {
    const { pool } = newPool();
    const err = await failureOf(
      pool.callTool(server, { name: 'slow_steps', arguments: { steps: 50, delayMs: 100 }, timeoutMs: 200 }),
    );
    expect(err).toMatchObject({ kind: 'timeout', reachedServer: true });
  });

  it('rejects bad arguments and an unknown tool as invalid_params', async () => {
    const { pool } = newPool();
    const bad = await failureOf(pool.callTool(server, { name: 'add', arguments: { a: 'two', b: 3 } }));
    expect(bad).toMatchObject({ kind: 'invalid_params', reachedServer: true, code: -32602 });
    expect(bad.message).toContain('Invalid arguments for tool add');
    const unknown = await failureOf(pool.callTool(server, { name: 'no-such-tool', arguments: {} }));
    expect(unknown).toMatchObject({ kind: 'invalid_params', reachedServer: true, code: -32602 });
  });

  it('mirrors an x-mcp-header argument into its Mcp-Param header, which the server checks', async () => {
    const { pool } = newPool();
    // The caller hands over the input schema it checked the pin against; the pool's own connection (closed
    // here, so nothing it listed is left) is not where it comes from.
    const tool = (await pool.listTools(server)).find((t) => t.name === 'regional')!;
    await pool.close(server.id);
    const result = await pool.callTool(server, {
      name: 'regional',
      arguments: { region: 'eu-west', text: 'hi' },
      inputSchema: tool.inputSchema,
    });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe('hi from eu-west');
  });

  it('returns structuredContent that breaks the tool’s outputSchema as the server sent it', async () => {
    const { pool } = newPool();
    expect((await pool.listTools(server)).find((t) => t.name === 'drift')?.outputSchema).toBeDefined();
    const result = await pool.callTool(server, { name: 'drift', arguments: {} });
    expect(result.structuredContent).toEqual({ sum: 'not a number' });
  });

  it('probes health with server/discover (2026-07-28 has no ping)', async () => {
    const { pool } = newPool();
    await modern.clearCalls();
    await pool.ping(server);
    await pool.ping(server);
    expect(await methods(modern)).toEqual(['server/discover', 'server/discover', 'server/discover']);
  });

  it('keeps the era verdict: a reconnect with the same config sends no server/discover', async () => {
    const { pool } = newPool();
    await modern.clearCalls();
    await pool.callTool(server, { name: 'echo', arguments: { text: 'one' } });
    await pool.close(server.id);
    await pool.callTool(server, { name: 'echo', arguments: { text: 'two' } });
    expect(count(await methods(modern), 'server/discover')).toBe(1);
    // A changed config (here its headers: a rotated credential looks the same) is probed again.
    const rotated = { ...httpServerConfig(modern, { id: server.id, headers: { 'x-rotated': '1' } }) };
    await pool.callTool(rotated, { name: 'echo', arguments: { text: 'three' } });
    expect(count(await methods(modern), 'server/discover')).toBe(2);
  });

  it('probes again once the verdict is older than eraMaxAgeMs', async () => {
    const { pool } = newPool({ eraMaxAgeMs: 0 });
    await modern.clearCalls();
    await pool.callTool(server, { name: 'echo', arguments: { text: 'one' } });
    await new Promise((resolve) => setTimeout(resolve, 5)); // older than 0 ms
    await pool.close(server.id);
    await pool.callTool(server, { name: 'echo', arguments: { text: 'two' } });
    expect(count(await methods(modern), 'server/discover')).toBe(2);
  });
});

describe('a server that changes era on the same port', () => {
  it('is probed again when it stops answering its connection’s era, and the read that found out succeeds', async () => {
    const port = await freePort();
    const { pool } = newPool();
    const server = httpServerConfig({ url: `http://127.0.0.1:${port}/mcp`, port }, { id: 'turncoat' });
    const legacy = await startHttpMcpServer({ port });
    expect((await pool.listTools(server)).map((t) => t.name)).toContain('record'); // only the 2025 one has it
    await legacy.stop();

    // Upgraded to 2026-07-28 only: its 2025 connection's next request is refused (HTTP 400).
    const upgraded = await startModernHttpMcpServer({ port });
    stops.push(() => upgraded.stop());
    expect((await pool.listTools(server)).map((t) => t.name)).toContain('drift');
    expect((await upgraded.requests()).map((r) => r.method)).toEqual(['tools/list', 'server/discover', 'tools/list']);
    expect(textOf(await pool.callTool(server, { name: 'echo', arguments: { text: 'up' } }))).toBe('up');
    await upgraded.stop();

    // And back to 2025 only: a 2026-07-28 request is refused too, and the server is found to be 2025 again.
    const downgraded = await startHttpMcpServer({ port });
    stops.push(() => downgraded.stop());
    expect((await pool.listTools(server)).map((t) => t.name)).toContain('record');
    expect(textOf(await pool.callTool(server, { name: 'echo', arguments: { text: 'down' } }))).toBe('down');
  });

  it('connects anew without the cached verdict when connecting with it fails', async () => {
    const port = await freePort();
    const { pool } = newPool();
    const server = httpServerConfig({ url: `http://127.0.0.1:${port}/mcp`, port }, { id: 'upgraded-offline' });
    const legacy = await startHttpMcpServer({ port });
    await pool.listTools(server);
    await pool.close(server.id); // as a worker would on stop: the verdict (2025) stays
    await legacy.stop();
    const upgraded = await startModernHttpMcpServer({ port });
    stops.push(() => upgraded.stop());
    // initialize with the cached verdict is refused; the same call connects again, probing.
    expect(textOf(await pool.callTool(server, { name: 'echo', arguments: { text: 'hi' } }))).toBe('hi');
    expect((await upgraded.requests()).map((r) => r.method)).toEqual(['initialize', 'server/discover', 'tools/call']);
  });
});

describe('a 2026-07-28-only server over stdio, in the sandbox', () => {
  const modernStdio = (id: string) =>
    stdioConfig({ id, command: process.execPath, args: ['--import', TSX, STDIO_FIXTURE] });
  const launches = (id: string) =>
    readFileSync(path.join(testSandbox().workRoot, id, 'launches.log'), 'utf8')
      .trim()
      .split('\n');

  it('is probed in a sibling process started by the same sandboxed launch, then reached in 2026-07-28', async () => {
    const { pool } = newPool();
    const server = modernStdio('modern-stdio');
    const heard: unknown[] = [];
    const result = await pool.callTool(server, {
      name: 'slow_steps',
      // 250 ms apart, not 10: on a loaded CI machine the SDK read both progress lines and the result in one
      // chunk, settled the call first and dropped the progress (the fixture's comment), and this failed once.
      arguments: { steps: 2, delayMs: 250 },
      onprogress: (p) => heard.push(p),
    });
    expect(textOf(result)).toBe('2 steps done');
    expect(heard).toHaveLength(2);
    // Two processes: the probe's and the connection's, both in the sandbox (its hostname, its work dir).
    const started = launches(server.id);
    expect(started).toHaveLength(2);
    for (const line of started) expect(line).toMatch(/^mcp \d+$/);
    expect((await pool.listTools(server)).find((t) => t.name === 'add')?.outputSchema).toBeDefined();
  });

  it('reconnects after the server dies without probing it again', async () => {
    const { pool } = newPool();
    const server = modernStdio('modern-stdio-respawn');
    await pool.callTool(server, { name: 'echo', arguments: { text: 'before' } });
    process.kill(pool.pidOf(server.id)!, 'SIGKILL');
    await waitFor(
      () => pool.pidOf(server.id),
      (pid) => pid === undefined,
      { what: 'the pool to notice the killed server', timeoutMs: 5000 },
    );
    expect(textOf(await pool.callTool(server, { name: 'echo', arguments: { text: 'after' } }))).toBe('after');
    expect(launches(server.id)).toHaveLength(3);
  });

  it('cancels an aborted call upstream with notifications/cancelled', async () => {
    const { pool, lines } = newPool();
    const server = modernStdio('modern-stdio-cancel');
    const controller = new AbortController();
    const call = pool.callTool(server, {
      name: 'slow_steps',
      arguments: { steps: 50, delayMs: 100 },
      signal: controller.signal,
      onprogress: () => controller.abort(new Error('stop')), // the tool is running
    });
    await expect(call).rejects.toThrow('stop');
    await waitFor(
      () => lines.filter((l) => l.mcpServer === server.id && l.msg === 'aborted: slow_steps'),
      (found) => found.length === 1,
      { what: 'the server to report the call aborted', timeoutMs: 5000 },
    );
  });
});

describe('2025 servers', () => {
  /** Every tool as the SDK 1.x client (what Collexa ran on before) lists it, following cursors. */
  async function v1Tools(transport: V1Http | V1Stdio) {
    const client = new V1Client({ name: 'collexa', version: '0.1.0' });
    await client.connect(transport);
    try {
      const tools = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor === undefined ? {} : { cursor });
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      return tools;
    } finally {
      await client.close();
    }
  }
  const hashes = (tools: Array<{ name: string }>) =>
    Object.fromEntries(tools.map((t) => [t.name, toolDefinitionHash(t as Parameters<typeof toolDefinitionHash>[0])]));

  it('list tools whose definitions hash as they did on the SDK 1.x client, so existing pins hold', async () => {
    const { pool } = newPool();
    const paged = await startHttpMcpServer({ pageSize: 4 });
    stops.push(() => paged.stop());
    const http = await pool.listTools(httpServerConfig(paged));
    expect(http.length).toBeGreaterThan(4);
    expect(hashes(http)).toEqual(hashes(await v1Tools(new V1Http(new URL(paged.url)))));

    // stdio: the pool's sandboxed server and the same server started by the 1.x client itself.
    const everything = everythingServer({ id: 'everything-pins' });
    if (everything.transport !== 'stdio') throw new Error('stdio expected');
    const listed = await pool.listTools(everything);
    const [bin, ...args] = everything.args;
    expect(hashes(listed)).toEqual(
      hashes(await v1Tools(new V1Stdio({ command: process.execPath, args: [bin!, ...args], stderr: 'ignore' }))),
    );
    const schemas = stdioConfig({
      id: 'schemas-pins',
      command: process.execPath,
      args: ['--import', TSX, SCHEMAS_FIXTURE],
    });
    const raw = await pool.listTools(schemas);
    expect(hashes(raw)).toEqual(
      hashes(
        await v1Tools(
          new V1Stdio({ command: process.execPath, args: ['--import', TSX, SCHEMAS_FIXTURE], stderr: 'ignore' }),
        ),
      ),
    );
  });
});
