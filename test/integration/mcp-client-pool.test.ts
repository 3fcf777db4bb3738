import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_INHERITED_ENV_VARS } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { McpClientPool, McpServerConfig } from '../../core/mcp/client-pool.js';
import {
  everythingServer,
  filesystemServer,
  httpServerConfig,
  memoryServer,
  startHttpMcpServer,
  stdioConfig,
  testWorkspacePath,
  type HttpMcpServer,
} from '../helpers/mcp-servers.js';
import { failureOf, loggedPool, textOf } from '../helpers/pool-calls.js';
import { testSandbox } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

const pools: McpClientPool[] = [];
const httpServers: HttpMcpServer[] = [];

/** A pool whose log lines (the servers' stderr among them) the test can read. */
function newPool() {
  const logged = loggedPool();
  pools.push(logged.pool);
  return logged;
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

afterAll(async () => {
  await Promise.all(pools.map((p) => p.closeAll()));
  await Promise.all(httpServers.map((s) => s.stop()));
  delete process.env.SECRET_PARENT_VAR;
});

describe('McpClientPool over stdio (server-everything)', () => {
  it('lists server-everything tools and calls its echo tool', async () => {
    const { pool } = newPool();
    const tools = await pool.listTools(everythingServer());
    expect(tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['echo', 'get-env', 'get-sum', 'trigger-long-running-operation']),
    );
    expect(tools.find((t) => t.name === 'echo')).toMatchObject({
      inputSchema: { type: 'object', required: ['message'] },
      annotations: { readOnlyHint: true },
    });

    const result = await pool.callTool(everythingServer(), { name: 'echo', arguments: { message: 'hello' } });
    expect(textOf(result)).toBe('Echo: hello');
  });

  it('shares one spawned server among concurrent callers and logs its stderr under its name', async () => {
    const { pool, lines } = newPool();
    const server = everythingServer({ id: 'everything-shared' });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => pool.callTool(server, { name: 'echo', arguments: { message: `m${i}` } })),
    );
    expect(results.map(textOf)).toEqual(Array.from({ length: 8 }, (_, i) => `Echo: m${i}`));
    const starts = () =>
      lines.filter((l) => l.mcpServer === 'everything-shared' && l.msg.startsWith('Starting default (STDIO) server'));
    await waitFor(
      () => starts().length,
      (n) => n > 0,
      { what: 'the shared server’s start line in the log', timeoutMs: 5000 },
    );
    expect(starts()).toHaveLength(1);
    expect(starts()[0]!.level).toBe(30); // info
  });

  it('gives the server its configured env and the sandbox PATH and HOME, but not the parent process env', async () => {
    process.env.SECRET_PARENT_VAR = 'must-not-leak';
    const { pool } = newPool();
    const server = everythingServer({ id: 'everything-env', env: { CONFIGURED_VAR: 'visible' } });
    const env = JSON.parse(textOf(await pool.callTool(server, { name: 'get-env', arguments: {} }))) as Record<
      string,
      string
    >;
    expect(env.CONFIGURED_VAR).toBe('visible');
    expect(env.PATH).toBe('/usr/local/bin:/usr/bin:/bin');
    expect(env.HOME).toBe(path.join(testSandbox().workRoot, 'everything-env'));
    expect(env).not.toHaveProperty('SECRET_PARENT_VAR');
    // The SDK's short list of safe variables (HOME, USER, ...) and the sandbox's own (TMPDIR; PWD from bwrap).
    const allowed = new Set(['CONFIGURED_VAR', 'TMPDIR', 'PWD', ...DEFAULT_INHERITED_ENV_VARS]);
    expect(Object.keys(env).filter((k) => !allowed.has(k))).toEqual([]);
  });

  it('respawns a killed server on the next call', async () => {
    const { pool } = newPool();
    const server = everythingServer({ id: 'everything-killed' });
    await pool.callTool(server, { name: 'echo', arguments: { message: 'before' } });
    const firstPid = pool.pidOf(server.id)!;
    process.kill(firstPid, 'SIGKILL');
    expect(
      await waitFor(
        () => pool.pidOf(server.id),
        (pid) => pid === undefined,
        { what: 'the pool to notice the killed server', timeoutMs: 5000 },
      ),
    ).toBeUndefined();

    const result = await pool.callTool(server, { name: 'echo', arguments: { message: 'after' } });
    expect(textOf(result)).toBe('Echo: after');
    expect(pool.pidOf(server.id)).not.toBe(firstPid);
  });

  it('reports a server that dies during a call as disconnected, after reaching it', async () => {
    const { pool } = newPool();
    const server = everythingServer({ id: 'everything-dies' });
    await pool.listTools(server);
    const pending = pool.callTool(server, {
      name: 'trigger-long-running-operation',
      arguments: { duration: 10, steps: 10 },
    });
    setTimeout(() => process.kill(pool.pidOf(server.id)!, 'SIGKILL'), 300); // an action mid-call (the operation takes 10 s), not a wait
    const err = await failureOf(pending);
    expect(err).toMatchObject({ kind: 'disconnected', reachedServer: true, serverName: 'everything-dies' });
  });

  it('closes the old process and starts a new one when the config of an id changes', async () => {
    const { pool } = newPool();
    const v1 = everythingServer({ id: 'everything-config', env: { GENERATION: '1' } });
    await pool.callTool(v1, { name: 'echo', arguments: { message: 'v1' } });
    const oldPid = pool.pidOf(v1.id)!;

    const v2: McpServerConfig = everythingServer({ id: 'everything-config', env: { GENERATION: '2' } });
    const env = JSON.parse(textOf(await pool.callTool(v2, { name: 'get-env', arguments: {} }))) as Record<
      string,
      string
    >;
    expect(env.GENERATION).toBe('2');
    expect(pool.pidOf(v2.id)).not.toBe(oldPid);
    expect(
      await waitFor(
        () => isAlive(oldPid),
        (alive) => !alive,
        { what: `the old process ${oldPid} to exit`, timeoutMs: 5000 },
      ),
    ).toBe(false);
  });

  it('runs the memory and filesystem reference servers from their configs', async () => {
    const { pool } = newPool();
    mkdirSync(testWorkspacePath(), { recursive: true });
    const dir = mkdtempSync(testWorkspacePath('fs-'));
    writeFileSync(path.join(dir, 'note.txt'), 'from the test');
    const read = await pool.callTool(filesystemServer(dir), {
      name: 'read_text_file',
      arguments: { path: path.join(dir, 'note.txt') },
    });
    expect(textOf(read)).toBe('from the test');
    const graph = await pool.callTool(memoryServer(), { name: 'read_graph', arguments: {} });
    expect(graph.structuredContent).toEqual({ entities: [], relations: [] });
  });

  it('fails a server that cannot start as connect, never reaching it', async () => {
    const { pool } = newPool();
    const server = stdioConfig({ id: 'missing', command: '/nonexistent/mcp-server', args: [] });
    const err = await failureOf(pool.callTool(server, { name: 'echo', arguments: {} }));
    expect(err).toMatchObject({ kind: 'connect', reachedServer: false, serverName: 'missing' });
  });
});

describe('McpClientPool over Streamable HTTP (our test server)', () => {
  let http: HttpMcpServer;
  let server: McpServerConfig;
  beforeAll(async () => {
    http = await startHttpMcpServer({ pageSize: 4 });
    httpServers.push(http);
    server = httpServerConfig(http);
  });

  it('lists every tool of a server that pages tools/list, with schemas and annotations', async () => {
    const { pool } = newPool();
    const tools = await pool.listTools(server);
    expect(tools.map((t) => t.name)).toEqual(['echo', 'add', 'record', 'fail', 'slow', 'slow_steps', 'whoami']);
    expect(tools.find((t) => t.name === 'add')).toMatchObject({
      annotations: { idempotentHint: true },
      inputSchema: { properties: { a: { type: 'number' }, b: { type: 'number' } } },
      outputSchema: { properties: { sum: { type: 'number' } } },
    });
  });

  it('calls tools and returns their structured content', async () => {
    const { pool } = newPool();
    expect(await pool.callTool(server, { name: 'echo', arguments: { text: 'hi' } })).toMatchObject({
      content: [{ type: 'text', text: 'hi' }],
      structuredContent: { text: 'hi' },
    });
    expect((await pool.callTool(server, { name: 'add', arguments: { a: 2, b: 3 } })).structuredContent).toEqual({
      sum: 5,
    });
  });

  it('sends meta as the request _meta', async () => {
    const { pool } = newPool();
    await http.clearCalls();
    const meta = { 'collexa/invocationId': 'inv-1', idempotencyKey: 'inv-1' };
    const result = await pool.callTool(server, { name: 'whoami', arguments: {}, meta });
    expect(result.structuredContent).toEqual(meta);
    await pool.callTool(server, { name: 'record', arguments: { note: 'n1' }, meta });
    expect(await http.calls()).toMatchObject([
      { tool: 'whoami', meta },
      { tool: 'record', arguments: { note: 'n1' }, meta },
    ]);
  });

  it('with onprogress, sends a progressToken beside our _meta and hears each progress notification', async () => {
    const { pool } = newPool();
    await http.clearCalls();
    const meta = { 'collexa/invocationId': 'inv-2', idempotencyKey: 'inv-2' };
    const heard: unknown[] = [];
    const result = await pool.callTool(server, {
      name: 'slow_steps',
      arguments: { steps: 3, delayMs: 10 },
      meta,
      onprogress: (p) => heard.push(p),
    });
    expect(textOf(result)).toBe('3 steps done');
    expect(heard).toEqual([1, 2, 3].map((step) => ({ progress: step, total: 3, message: `step ${step} of 3` })));
    const [seen] = await http.calls();
    expect(seen).toMatchObject({ tool: 'slow_steps', meta: { ...meta, progressToken: expect.any(Number) } });
    // Without onprogress no token is sent, so the server sends no progress.
    await http.clearCalls();
    await pool.callTool(server, { name: 'slow_steps', arguments: { steps: 1, delayMs: 0 }, meta });
    expect((await http.calls())[0]?.meta).toEqual(meta);
  });

  it('returns an isError result with the tool message instead of throwing', async () => {
    const { pool } = newPool();
    const result = await pool.callTool(server, { name: 'fail', arguments: { message: 'disk full' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('disk full');
  });

  it('rejects arguments that fail the input schema as invalid_params after reaching the server', async () => {
    const { pool } = newPool();
    await http.clearCalls();
    const err = await failureOf(pool.callTool(server, { name: 'add', arguments: { a: 'two', b: 3 } }));
    expect(err).toMatchObject({ kind: 'invalid_params', reachedServer: true, code: -32602 });
    expect(err.message).toContain('Input validation error');
    expect(await http.calls()).toMatchObject([{ tool: 'add', arguments: { a: 'two', b: 3 } }]);
  });

  it('rejects an unknown tool as invalid_params', async () => {
    const { pool } = newPool();
    const err = await failureOf(pool.callTool(server, { name: 'no-such-tool', arguments: {} }));
    expect(err).toMatchObject({ kind: 'invalid_params', reachedServer: true });
    expect(err.message).toContain('Tool no-such-tool not found');
  });

  it('times a slow call out as timeout, after reaching the server', async () => {
    const { pool } = newPool();
    const started = Date.now();
    const err = await failureOf(pool.callTool(server, { name: 'slow', arguments: { ms: 5000 }, timeoutMs: 200 }));
    expect(err).toMatchObject({ kind: 'timeout', reachedServer: true });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('rejects an aborted call with the signal reason', async () => {
    const { pool } = newPool();
    const controller = new AbortController();
    const reason = new Error('cancelled by the workflow');
    setTimeout(() => controller.abort(reason), 100); // an action mid-call (the tool sleeps 5 s), not a wait
    await expect(
      pool.callTool(server, { name: 'slow', arguments: { ms: 5000 }, signal: controller.signal }),
    ).rejects.toBe(reason);
  });

  it('fails as connect while the server is down and reconnects once it is back', async () => {
    const own = await startHttpMcpServer();
    httpServers.push(own);
    const { pool } = newPool();
    const config = httpServerConfig(own);
    await pool.callTool(config, { name: 'echo', arguments: { text: 'up' } });

    await own.stop();
    const err = await failureOf(pool.callTool(config, { name: 'echo', arguments: { text: 'down' } }));
    expect(err).toMatchObject({ kind: 'connect', reachedServer: false });

    await own.restart();
    expect((await pool.callTool(config, { name: 'echo', arguments: { text: 'back' } })).structuredContent).toEqual({
      text: 'back',
    });
    expect(await own.calls()).toMatchObject([{ tool: 'echo', arguments: { text: 'back' } }]);
  });
});
