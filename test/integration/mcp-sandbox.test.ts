import { statSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_INHERITED_ENV_VARS } from '@modelcontextprotocol/sdk/client/stdio.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { McpCallError, McpClientPool, type McpServerConfig } from '../../core/mcp/client-pool.js';
import { findSandboxTool, type SandboxTool } from '../../core/mcp/sandbox.js';
import { PROJECT_ROOT } from '../../core/paths.js';

const FIXTURE = path.join(PROJECT_ROOT, 'test', 'fixtures', 'mcp-stdio-net-server.ts');
// By URL: the server's cwd is its own work dir, where a bare `--import tsx` would not resolve.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

const pools: McpClientPool[] = [];
let listener: Server;
let port: number;
let accepted = 0;

function newPool(opts: { sandbox?: SandboxTool | null } = {}) {
  const lines: Array<{ msg: string; mcpServer?: string }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const pool = new McpClientPool({ logger, connectTimeoutMs: 15_000, workRoot: path.join(inject('runDir'), 'mcp-work'), ...opts });
  pools.push(pool);
  return { pool, lines };
}

/** Our fixture server over stdio. */
function netServer(id: string, opts: { network?: boolean; env?: Record<string, string>; cwd?: string } = {}): McpServerConfig {
  return { id, name: id, transport: 'stdio', command: process.execPath, args: ['--import', TSX, FIXTURE], env: opts.env ?? {}, ...opts };
}

async function call<T>(pool: McpClientPool, server: McpServerConfig, name: string, args: Record<string, unknown> = {}): Promise<T> {
  return (await pool.callTool(server, { name, arguments: args })).structuredContent as T;
}

const tryConnect = (pool: McpClientPool, server: McpServerConfig) => call<{ connected: boolean; error?: string }>(pool, server, 'connect', { host: '127.0.0.1', port });

beforeAll(async () => {
  listener = createServer((socket) => {
    accepted++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as AddressInfo).port;
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.closeAll()));
  await new Promise((resolve) => listener.close(resolve));
});

describe('stdio MCP server isolation', () => {
  it('lets a network: true server open a TCP connection to the host', async () => {
    const { pool } = newPool();
    const before = accepted;
    expect(await tryConnect(pool, netServer('net-open', { network: true }))).toEqual({ connected: true });
    // The listener's 'connection' event can come after the tool's answer on a busy machine.
    await expect.poll(() => accepted).toBe(before + 1);
  });

  it('gives a network: false server no network: it cannot open a TCP connection, not even to the host loopback', async () => {
    // scripts/provision-tools.sh provides bubblewrap (an error under CI); unshare where bwrap cannot run but root can.
    expect(findSandboxTool()).toMatchObject({ kind: expect.stringMatching(/^(bwrap|unshare)$/) });
    const { pool } = newPool();
    const server = netServer('net-closed', { network: false });
    const before = accepted;
    const result = await tryConnect(pool, server);
    expect(result.connected).toBe(false);
    expect(result.error).toMatch(/^(ECONNREFUSED|ENETUNREACH|EHOSTUNREACH)$/);
    expect(accepted).toBe(before);
    // Still a working server, in its own (writable) dir.
    expect(await call(pool, server, 'cwd')).toEqual({ cwd: path.join(inject('runDir'), 'mcp-work', 'net-closed') });
  });

  it.skipIf(process.getuid?.() !== 0)('cuts the network with the unshare --net fallback too (root only)', async () => {
    const { pool } = newPool({ sandbox: { kind: 'unshare', path: 'unshare' } });
    const before = accepted;
    const result = await tryConnect(pool, netServer('net-unshare', { network: false }));
    expect(result).toMatchObject({ connected: false, error: expect.stringMatching(/^(ECONNREFUSED|ENETUNREACH|EHOSTUNREACH)$/) });
    expect(accepted).toBe(before);
  });

  it('runs every stdio server in its own 0700 working dir unless the config names one', async () => {
    const { pool } = newPool();
    const workRoot = path.join(inject('runDir'), 'mcp-work');
    for (const network of [true, false]) {
      const id = `cwd-${network}`;
      expect(await call(pool, netServer(id, { network }), 'cwd')).toEqual({ cwd: path.join(workRoot, id) });
      expect(statSync(path.join(workRoot, id)).mode & 0o777).toBe(0o700);
    }
    expect(await call(pool, netServer('cwd-given', { cwd: PROJECT_ROOT }), 'cwd')).toEqual({ cwd: PROJECT_ROOT });
  });

  it('gives a sandboxed server only its configured env, PATH and the SDK defaults, nothing of ours', async () => {
    process.env.SECRET_PARENT_VAR = 'must-not-leak';
    try {
      const { pool } = newPool();
      const { keys } = await call<{ keys: string[] }>(pool, netServer('env-closed', { network: false, env: { CONFIGURED_VAR: 'x' } }), 'env');
      expect(keys).toEqual(expect.arrayContaining(['CONFIGURED_VAR', 'PATH']));
      // bwrap itself sets PWD (to the --chdir dir): no secret, and nothing from our process.
      const allowed = new Set(['CONFIGURED_VAR', 'PATH', 'PWD', ...DEFAULT_INHERITED_ENV_VARS]);
      expect(keys.filter((k) => !allowed.has(k))).toEqual([]);
    } finally {
      delete process.env.SECRET_PARENT_VAR;
    }
  });

  it('refuses to start a network: false server without a sandbox tool, naming bwrap', async () => {
    const { pool, lines } = newPool({ sandbox: null });
    const err = await pool.callTool(netServer('no-sandbox', { network: false }), { name: 'cwd', arguments: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpCallError);
    expect(err).toMatchObject({ kind: 'connect', reachedServer: false, serverName: 'no-sandbox' });
    expect((err as Error).message).toMatch(/bubblewrap/);
    expect(pool.pidOf('no-sandbox')).toBeUndefined();
    expect(lines.filter((l) => l.mcpServer === 'no-sandbox')).toEqual([]);
  });
});
