// IBM ContextForge (PyPI mcp-contextforge-gateway) as bench/peer runs it: single node, its `mcpgateway`
// command (uvicorn, one worker, as its PyPI quick start), SQLite in the run's temp dir, its rate limiter off,
// logging at ERROR; our MCP test server registered as a gateway (POST /gateways) and a virtual server
// exposing its `add` tool (POST /servers), called at /servers/<id>/mcp with a JWT minted by its own
// `python -m mcpgateway.utils.create_jwt_token`. Installed by scripts/provision-peer.sh into .tools/peer.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../core/paths.js';
import { spawnService, startOnFreePort, waitUntil, type ManagedProcess } from '../../scripts/dev/processes.js';

const VENV = path.join(PROJECT_ROOT, '.tools', 'peer', 'venv');
const PYTHON = path.join(VENV, 'bin', 'python');
const ADMIN_EMAIL = 'admin@example.com';

/** How the gateway holds MCP sessions: `stateful` (USE_STATEFUL_SESSIONS=true) reuses one upstream session per client session. */
export type SessionMode = 'stateful' | 'stateless';

/** A running gateway with the virtual server a bench calls. */
export interface ContextForge {
  url: string;
  /** The virtual server's Streamable HTTP MCP endpoint. */
  mcpUrl: string;
  /** A bearer JWT for the platform admin. */
  token: string;
  /** The fixture's `add` as the gateway names it (`<gateway slug>-add`). */
  toolName: string;
  version: string;
  python: string;
  pid?: number;
}

/** Runs scripts/provision-peer.sh (idempotent: quick when .tools/peer/venv already holds the pinned gateway). */
export function provisionContextForge(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(PROJECT_ROOT, 'scripts', 'provision-peer.sh')], { stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`scripts/provision-peer.sh exited with ${code}`)),
    );
  });
}

/** A gateway on its way up: `ready` once it serves the virtual server; stop() works at any point, start-up included. */
export interface StartingContextForge {
  ready: Promise<ContextForge>;
  stop(): Promise<void>;
}

/** Starts the gateway on a free port (its migrations make start-up take ~20-40 s), then registers the fixture. */
export function startContextForge(opts: {
  runDir: string;
  fixtureUrl: string;
  sessions: SessionMode;
}): StartingContextForge {
  const dir = path.join(opts.runDir, 'contextforge');
  mkdirSync(dir, { recursive: true });
  // Every setting explicit, none read from a .env (cwd is its own dir) or left to this process's env.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    PYTHONUNBUFFERED: '1',
    DATABASE_URL: `sqlite:///${path.join(dir, 'contextforge.db')}`,
    JWT_SECRET_KEY: randomBytes(32).toString('hex'),
    AUTH_ENCRYPTION_SECRET: randomBytes(32).toString('hex'),
    PLATFORM_ADMIN_EMAIL: ADMIN_EMAIL,
    PLATFORM_ADMIN_PASSWORD: `Bench-${randomBytes(9).toString('hex')}!A`,
    BASIC_AUTH_PASSWORD: `Bench-${randomBytes(9).toString('hex')}!B`,
    RATE_LIMITING_ENABLED: 'false',
    // The fixture listens on 127.0.0.1, which its SSRF guard refuses by default.
    SSRF_ALLOW_LOCALHOST: 'true',
    USE_STATEFUL_SESSIONS: String(opts.sessions === 'stateful'),
    MCPGATEWAY_UI_ENABLED: 'false',
    MCPGATEWAY_ADMIN_API_ENABLED: 'false',
    LOG_LEVEL: 'ERROR',
  };
  let current: ManagedProcess | undefined;
  let stopped = false;
  const stop = async () => {
    stopped = true;
    await current?.stop(10_000);
  };

  const ready = (async (): Promise<ContextForge> => {
    const port = await startOnFreePort(async (port) => {
      if (stopped) throw new Error('ContextForge was stopped during start-up');
      current = spawnService({
        name: `contextforge:${port}`,
        command: path.join(VENV, 'bin', 'mcpgateway'),
        args: ['--host', '127.0.0.1', '--port', String(port)],
        cwd: dir,
        env,
        logFile: path.join(dir, 'contextforge.log'),
      });
      try {
        await waitUntil('ContextForge', () => getJson(`http://127.0.0.1:${port}/health`), {
          timeoutMs: 180_000,
          process: current,
        });
      } catch (err) {
        await current.stop(5000);
        throw err;
      }
      return port;
    });
    const p = current!;
    try {
      const url = `http://127.0.0.1:${port}`;
      const run = promisify(execFile);
      const minted = await run(
        PYTHON,
        ['-m', 'mcpgateway.utils.create_jwt_token', '--username', ADMIN_EMAIL, '--exp', '600'],
        { cwd: dir, env }, // signed with its JWT_SECRET_KEY, for its audience and issuer
      );
      const token = minted.stdout.trim().split('\n').at(-1)!;
      const version = (
        await run(PYTHON, ['-c', 'import importlib.metadata as m; print(m.version("mcp-contextforge-gateway"))'])
      ).stdout.trim();
      const python = (await run(PYTHON, ['--version'])).stdout.trim();
      const { toolName, serverId } = await registerFixture(url, token, opts.fixtureUrl);
      return {
        url,
        mcpUrl: `${url}/servers/${serverId}/mcp`,
        token,
        toolName,
        version,
        python,
        ...(p.child.pid ? { pid: p.child.pid } : {}),
      };
    } catch (err) {
      await p.stop(10_000);
      throw withLog(err, p);
    }
  })();
  // Whoever awaits `ready` sees its failure; a run that fails elsewhere first just stops it.
  ready.catch(() => undefined);
  return { ready, stop };
}

/** POST /gateways (the fixture, Streamable HTTP), find its `add` in GET /tools, POST /servers exposing only it. */
async function registerFixture(url: string, token: string, fixtureUrl: string) {
  const gateway = (await postJson(`${url}/gateways`, token, {
    name: 'bench-mcp',
    url: fixtureUrl,
    transport: 'STREAMABLEHTTP',
  })) as { id: string };
  const tools = (await getJson(`${url}/tools`, token)) as {
    id: string;
    name: string;
    originalName: string;
    gatewayId: string;
  }[];
  const add = tools.find((t) => t.originalName === 'add' && t.gatewayId === gateway.id);
  if (!add) throw new Error(`ContextForge did not list the fixture's add tool: ${tools.map((t) => t.name).join(', ')}`);
  const server = (await postJson(`${url}/servers`, token, {
    server: { name: 'bench-sum', description: 'bench/peer: the fixture add tool', associated_tools: [add.id] },
  })) as { id: string };
  return { toolName: add.name, serverId: server.id };
}

async function getJson(url: string, token?: string): Promise<unknown> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${(await res.text()).slice(0, 300)}`);
  return res.json();
}

async function postJson(url: string, token: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${url}: ${res.status} ${(await res.text()).slice(0, 500)}`);
  return res.json();
}

function withLog(err: unknown, p: ManagedProcess): Error {
  const message = err instanceof Error ? err.message : String(err);
  return new Error(`${message}\nContextForge's last log lines (${p.logFile}):\n${p.tail()}`);
}
