// The stdio sandbox as a hostile server meets it: what it can reach, read, write, see and use.
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { LIMIT_DEFAULTS } from '../../core/limits/defaults.js';
import { McpCallError, McpClientPool, type McpServerConfig } from '../../core/mcp/client-pool.js';
import { findSandboxTools, sandboxUid } from '../../core/mcp/sandbox.js';
import { packageBin } from '../../core/mcp/stdio-commands.js';
import { PROJECT_ROOT } from '../../core/paths.js';
import { stdioConfig } from '../helpers/mcp-servers.js';
import { testEgress, testSandbox } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

const FIXTURE = path.join(PROJECT_ROOT, 'test', 'fixtures', 'mcp-stdio-net-server.mts');
const EVERYTHING = packageBin('@modelcontextprotocol/server-everything')!;
// By URL: the server's cwd is its own work dir, where a bare `--import tsx` would not resolve.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const isRoot = process.getuid?.() === 0;
// An org of this file's own: the process budget (RLIMIT_NPROC) is per org uid, shared with nothing else here.
const SANDBOX_ORG = '33333333-3333-4333-8333-333333333333';

const pools: McpClientPool[] = [];
let listener: Server;
let port: number;
let accepted = 0;
// A stand-in for the platform's data dir: servers' work dirs live in it, next to a master key.
let dataDir: string;

function newPool(opts: { tools?: null } = {}) {
  const lines: Array<{ msg: string; mcpServer?: string }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const sandbox = {
    ...testSandbox(),
    workRoot: path.join(dataDir, 'mcp'),
    ...(opts.tools === null ? { tools: null } : {}),
  };
  const pool = new McpClientPool({ logger, connectTimeoutMs: 15_000, sandbox, egress: testEgress() });
  pools.push(pool);
  return { pool, lines };
}

/** Our hostile fixture server over stdio. */
function netServer(
  id: string,
  opts: {
    network?: boolean;
    env?: Record<string, string>;
    orgId?: string;
    limits?: Partial<Extract<McpServerConfig, { transport: 'stdio' }>['limits']>;
    secrets?: { name: string; value: string }[];
  } = {},
) {
  const base = stdioConfig({
    id,
    command: process.execPath,
    args: ['--import', TSX, FIXTURE],
    env: opts.env ?? {},
    network: opts.network ?? false,
  });
  return {
    ...base,
    orgId: opts.orgId ?? SANDBOX_ORG,
    limits: { ...base.limits, ...opts.limits },
    ...(opts.secrets ? { secrets: opts.secrets } : {}),
  };
}

async function call<T>(
  pool: McpClientPool,
  server: McpServerConfig,
  name: string,
  args: Record<string, unknown> = {},
): Promise<T> {
  return (await pool.callTool(server, { name, arguments: args, timeoutMs: 30_000 })).structuredContent as T;
}
type Attempt = { ok: boolean; value?: string; error?: string };

beforeAll(async () => {
  dataDir = path.join(inject('runDir'), 'data');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path.join(dataDir, 'master.key'), 'the platform master key');
  chmodSync(path.join(dataDir, 'master.key'), 0o600);
  listener = createServer((socket) => {
    accepted++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as AddressInfo).port;
});

// Each test's servers stop with it.
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.closeAll()));
});

afterAll(async () => {
  await new Promise((resolve) => listener.close(resolve));
});

describe('stdio MCP server sandbox', () => {
  it('finds bubblewrap, prlimit and (as root) setpriv, and an unprivileged sandbox works here', () => {
    // scripts/provision-tools.sh provides them; under CI a missing one is an error there.
    expect(findSandboxTools()).toMatchObject({ bwrap: expect.any(String), prlimit: expect.any(String) });
  });

  it('gives every server a network namespace of its own: no TCP connection anywhere, not even to loopback', async () => {
    const { pool } = newPool();
    const before = accepted;
    for (const network of [false, true]) {
      const r = await call<{ connected: boolean; error?: string }>(
        pool,
        netServer(`net-${network}`, { network }),
        'connect',
        { host: '127.0.0.1', port },
      );
      expect(r.connected, `network: ${network}`).toBe(false);
      expect(r.error).toMatch(/^(ECONNREFUSED|ENETUNREACH|EHOSTUNREACH)$/);
    }
    expect(accepted).toBe(before);
  });

  it('lets a network: true server reach allowed HTTP through the egress proxy, and nothing the policy refuses', async () => {
    const hits: string[] = [];
    const web = http.createServer(
      (req, res) => (hits.push(`${req.socket.localAddress} ${req.url}`), res.end('hello from outside')),
    );
    await new Promise<void>((r) => web.listen(0, '0.0.0.0', r));
    const webPort = (web.address() as AddressInfo).port;
    try {
      const { pool } = newPool();
      const s = netServer('net-proxied', { network: true });
      const ok = await call<{ status?: number; body?: string }>(pool, s, 'fetch', {
        url: `http://127.0.0.1:${webPort}/allowed`,
      });
      expect(ok).toEqual({ status: 200, body: 'hello from outside' });
      // 127.0.0.2 is loopback too, but not what the test run's EGRESS_ALLOW (127.0.0.1) lets through.
      const refused = await call<{ status?: number; body?: string }>(pool, s, 'fetch', {
        url: `http://127.0.0.2:${webPort}/refused`,
      });
      expect(refused.status).toBe(403);
      expect(refused.body).toMatch(/egress denied: 127\.0\.0\.2 is a loopback address/);
      const closed = await call<{ status?: number }>(pool, netServer('net-closed-fetch'), 'fetch', {
        url: `http://127.0.0.1:${webPort}/closed`,
      });
      expect(closed.status).toBeUndefined();
      expect(hits).toEqual([`127.0.0.1 /allowed`]);
    } finally {
      web.close();
    }
  });

  it('runs as an unprivileged uid of its org, never root; another org gets another uid', async () => {
    const { pool } = newPool();
    const mine = await call<{ uid: number; gid: number }>(pool, netServer('ids-a'), 'ids');
    const other = await call<{ uid: number }>(
      pool,
      netServer('ids-b', { orgId: '11111111-1111-4111-8111-111111111111' }),
      'ids',
    );
    expect(mine.uid).not.toBe(0);
    expect(mine.gid).not.toBe(0);
    if (isRoot) {
      expect(mine.uid).toBe(sandboxUid(SANDBOX_ORG, testSandbox().uidBase));
      expect(other.uid).not.toBe(mine.uid);
    }
  });

  it('cannot read the master key, the data dir, the checkout, PostgreSQL files or the worker environment', async () => {
    process.env.WORKER_ONLY_MARKER = 'worker-env-must-not-leak';
    try {
      const { pool } = newPool();
      const s = netServer('reader');
      const read = (p: string) => call<Attempt>(pool, s, 'read', { path: p });
      const list = (p: string) => call<Attempt>(pool, s, 'list', { path: p });
      expect(await read(path.join(dataDir, 'master.key'))).toMatchObject({ ok: false, error: 'ENOENT' });
      // The data dir holds only the path down to the server's own dir.
      expect(await list(dataDir)).toEqual({ ok: true, value: 'mcp' });
      expect(await list(path.join(dataDir, 'mcp'))).toEqual({ ok: true, value: 'reader' });
      expect(await read(path.join(PROJECT_ROOT, 'package.json'))).toMatchObject({ ok: false, error: 'ENOENT' });
      expect(await read(path.join(inject('runDir'), 'pg', 'PG_VERSION'))).toMatchObject({ ok: false, error: 'ENOENT' });
      expect(await read('/etc/shadow')).toMatchObject({ ok: false });
      expect(await read(`/proc/${process.pid}/environ`)).toMatchObject({ ok: false, error: 'ENOENT' });
      // Its own PID namespace: /proc/1 is the sandbox's init, whose env is the server's own, not the worker's.
      const init = await read('/proc/1/environ');
      expect(init.value ?? '').not.toContain('worker-env-must-not-leak');
      const procs = await list('/proc');
      expect(procs.value!.split(',').filter((p) => /^\d+$/.test(p)).length).toBeLessThanOrEqual(3);
    } finally {
      delete process.env.WORKER_ONLY_MARKER;
    }
  });

  it('writes only its own dir and a private /tmp', async () => {
    const { pool } = newPool();
    const s = netServer('writer');
    const write = (p: string) => call<Attempt>(pool, s, 'write', { path: p });
    expect(await write(path.join(dataDir, 'mcp', 'writer', 'mine.txt'))).toEqual({ ok: true, value: 'written' });
    expect(existsSync(path.join(dataDir, 'mcp', 'writer', 'mine.txt'))).toBe(true);
    expect(await write(path.join(PROJECT_ROOT, 'node_modules', 'planted.js'))).toMatchObject({
      ok: false,
      error: 'EROFS',
    });
    expect(await write('/usr/planted')).toMatchObject({ ok: false, error: 'EROFS' });
    // The run's data dir is under /tmp, which the sandbox has a private copy of: whatever lands there is not the host's.
    await write(path.join(dataDir, 'planted'));
    expect(existsSync(path.join(dataDir, 'planted'))).toBe(false);
    expect(await write('/planted')).toMatchObject({ ok: false, error: 'EROFS' });
    const marker = `/tmp/collexa-sandbox-${process.pid}`;
    expect(await write(marker)).toEqual({ ok: true, value: 'written' });
    expect(existsSync(marker)).toBe(false);
  });

  it('gives it only its configured env and the sandbox basics, nothing of ours', async () => {
    process.env.SECRET_PARENT_VAR = 'must-not-leak';
    try {
      const { pool } = newPool();
      const { keys } = await call<{ keys: string[] }>(
        pool,
        netServer('env-closed', { env: { CONFIGURED_VAR: 'x' } }),
        'env',
      );
      expect(keys).toEqual(expect.arrayContaining(['CONFIGURED_VAR', 'PATH', 'HOME']));
      expect(keys).not.toContain('SECRET_PARENT_VAR');
      expect(
        keys.filter(
          (k) => !['CONFIGURED_VAR', 'PATH', 'HOME', 'TMPDIR', 'USER', 'LOGNAME', 'SHELL', 'TERM', 'PWD'].includes(k),
        ),
      ).toEqual([]);
    } finally {
      delete process.env.SECRET_PARENT_VAR;
    }
  });

  it('stops at its memory limit and at its process limit', async () => {
    const { pool } = newPool();
    const small = netServer('memory-capped', { limits: { memoryMb: 512 } });
    const big = await pool.callTool(small, { name: 'allocate', arguments: { mb: 1024 }, timeoutMs: 30_000 }).then(
      (r) => r.structuredContent as Attempt,
      (err: unknown) => ({ ok: false, error: (err as McpCallError).kind }),
    );
    expect(big.ok).toBe(false);
    // The same allocation under a limit that allows it succeeds: the limit, not the tool, refused it.
    const roomy = await call<Attempt>(pool, netServer('memory-roomy', { limits: { memoryMb: 2048 } }), 'allocate', {
      mb: 1024,
    });
    expect(roomy).toEqual({ ok: true, value: '1024' });
    // Processes and threads of the org's uid: an org of its own, so no other test server counts.
    const capped = netServer('procs-capped', {
      orgId: '22222222-2222-4222-8222-222222222222',
      limits: { maxProcesses: 64 },
    });
    const { started } = await call<{ started: number }>(pool, capped, 'spawn', { n: 100 });
    expect(started).toBeLessThan(64);
    const roomyProcs = netServer('procs-roomy', {
      orgId: '44444444-4444-4444-8444-444444444444',
      limits: { maxProcesses: 1024 },
    });
    expect(await call(pool, roomyProcs, 'spawn', { n: 100 })).toEqual({ started: 100 });
  });

  it('starts a server on the Node runtime at the smallest memoryMb (critical): what V8 reserves is not counted', async () => {
    const { pool } = newPool();
    // As the shipped templates run: `node <the package's bin>`, one V8 isolate.
    const base = stdioConfig({ id: 'everything-critical', command: process.execPath, args: [EVERYTHING, 'stdio'] });
    const server = { ...base, limits: { ...base.limits, memoryMb: LIMIT_DEFAULTS.critical.memoryMb } };
    const tools = await pool.listTools(server);
    expect(tools.map((t) => t.name)).toContain('echo');
  });

  it('redacts known secret values from its stderr before they are logged', async () => {
    const { pool, lines } = newPool();
    const value = 'sk-live-stderr-9c1f';
    const s = netServer('stderr-secret', { env: { TOKEN: value }, secrets: [{ name: 'apitoken', value }] });
    await call(pool, s, 'stderr', { text: `my token is ${value}` });
    const logged = () => lines.filter((l) => l.mcpServer === 'stderr-secret').map((l) => l.msg);
    const mine = await waitFor(logged, (msgs) => msgs.includes('my token is [secret:apitoken]'), {
      what: 'the server’s stderr line in the log',
      timeoutMs: 5000,
    });
    expect(mine).toContain('my token is [secret:apitoken]');
    expect(JSON.stringify(lines)).not.toContain(value);
  });

  it('refuses to start any stdio server without the sandbox tools, naming bubblewrap', async () => {
    const { pool, lines } = newPool({ tools: null });
    const err = await pool
      .callTool(netServer('no-sandbox', { network: true }), { name: 'ids', arguments: {} })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpCallError);
    expect(err).toMatchObject({ kind: 'connect', reachedServer: false, serverName: 'no-sandbox' });
    expect((err as Error).message).toMatch(/bubblewrap/);
    expect(pool.pidOf('no-sandbox')).toBeUndefined();
    expect(lines.filter((l) => l.mcpServer === 'no-sandbox')).toEqual([]);
  });

  it('refuses a command the operator did not allow, even when it is stored', async () => {
    const { pool } = newPool();
    const err = await pool
      .callTool(stdioConfig({ id: 'bash', command: '/bin/bash', args: ['-c', 'id'] }), { name: 'x', arguments: {} })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'connect', reachedServer: false });
    expect((err as Error).message).toMatch(/not in MCP_STDIO_COMMANDS/);
  });
});
