import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { inject } from 'vitest';
import { LIMIT_DEFAULTS } from '../../core/limits/defaults.js';
import type { McpServerConfig } from '../../core/mcp/client-pool.js';
import { orgWorkspace } from '../../core/mcp/workspace.js';
import { PROJECT_ROOT } from '../../core/paths.js';
import { freePort, type ManagedProcess } from '../../scripts/dev/processes.js';
import { launchMcpHttpFixture } from '../fixtures/launch-mcp-http-server.js';
import { testSandbox } from './stack.js';

/** One tools/call as the test HTTP server saw it. */
export interface RecordedCall {
  tool: string;
  arguments: Record<string, unknown>;
  meta?: Record<string, unknown>;
  at: string;
}

/** One notifications/cancelled as the test HTTP server received it. */
export interface RecordedCancellation {
  requestId: string;
  reason?: string;
  at: string;
}

/** The x-test-secret header of one request, with the JSON-RPC method it carried. */
export interface SeenSecretHeader {
  method: string;
  value: string;
}

/** What every HTTP MCP server fixture offers the tests. */
interface HttpFixture {
  url: string;
  port: number;
  /** Empties the fixture's logs. */
  clearCalls(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the server (its logs go with it) and starts it again on the same port. */
  restart(): Promise<void>;
}

export interface HttpMcpServer extends HttpFixture {
  calls(): Promise<RecordedCall[]>;
  /** Every x-test-secret header the server received, oldest first (cleared with the call log). */
  secretHeaders(): Promise<SeenSecretHeader[]>;
  /** Every notifications/cancelled the server received, oldest first (cleared with the call log). */
  cancellations(): Promise<RecordedCancellation[]>;
}

/** test/fixtures/mcp-modern-http-server.ts: a server of 2026-07-28 only. */
export interface ModernHttpMcpServer extends HttpFixture {
  /** The method of every JSON-RPC request it received, oldest first. */
  requests(): Promise<Array<{ method: string; at: string }>>;
  calls(): Promise<RecordedCall[]>;
  /** The calls whose handler saw its caller give up (the request's signal aborted). */
  aborts(): Promise<Array<{ tool: string; at: string }>>;
  /** Its tools/list as a bare 2026-07-28 POST gets it: what it sends, before any SDK read it. */
  sentTools(): Promise<Array<{ name: string } & Record<string, unknown>>>;
}

const serverBin = (pkg: string) =>
  path.join(PROJECT_ROOT, 'node_modules', '@modelcontextprotocol', pkg, 'dist', 'index.js');

/**
 * Our Streamable HTTP test server (test/fixtures/mcp-http-server.ts, 2025, SDK v1) as a child process on a
 * free port; `pageSize` makes it answer tools/list in pages of that many tools.
 */
export async function startHttpMcpServer(
  opts: { port?: number; version?: string; pageSize?: number } = {},
): Promise<HttpMcpServer> {
  const args = ['--version', opts.version ?? 'v1', ...(opts.pageSize ? ['--page-size', String(opts.pageSize)] : [])];
  const { fixture, get } = await startFixture('mcp-http-server.ts', opts.port, args);
  return {
    ...fixture,
    calls: () => get('calls'),
    secretHeaders: () => get('secret-headers'),
    cancellations: () => get('cancellations'),
  };
}

/** Our 2026-07-28-only Streamable HTTP test server (SDK v2, initialize refused) as a child process. */
export async function startModernHttpMcpServer(opts: { port?: number } = {}): Promise<ModernHttpMcpServer> {
  const { fixture, get } = await startFixture('mcp-modern-http-server.ts', opts.port, []);
  return {
    ...fixture,
    requests: () => get('requests'),
    calls: () => get('calls'),
    aborts: () => get('aborts'),
    async sentTools() {
      const res = await fetch(fixture.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'tools/list',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/list',
          params: {
            _meta: {
              'io.modelcontextprotocol/protocolVersion': '2026-07-28',
              'io.modelcontextprotocol/clientCapabilities': {},
            },
          },
        }),
      });
      if (!res.ok) throw new Error(`tools/list: ${res.status}`);
      return ((await res.json()) as { result: { tools: Array<{ name: string }> } }).result.tools;
    },
  };
}

async function startFixture(
  file: string,
  port: number | undefined,
  args: string[],
): Promise<{ fixture: HttpFixture; get: <T>(what: string) => Promise<T> }> {
  const at = port ?? (await freePort());
  const base = `http://127.0.0.1:${at}`;
  const logFile = path.join(inject('runDir'), `${path.basename(file, '.ts')}-${at}.log`);
  const launch = () => launchMcpHttpFixture({ port: at, args, logFile, fixture: file });
  let proc: ManagedProcess = await launch();
  const get = async <T>(what: string): Promise<T> => {
    const res = await fetch(`${base}/${what}`);
    if (!res.ok) throw new Error(`GET /${what}: ${res.status}`);
    return (await res.json()) as T;
  };
  const fixture: HttpFixture = {
    url: `${base}/mcp`,
    port: at,
    async clearCalls() {
      const res = await fetch(`${base}/calls`, { method: 'DELETE' });
      if (!res.ok) throw new Error(`DELETE /calls: ${res.status}`);
    },
    stop: () => proc.stop(5000),
    async restart() {
      await proc.stop(5000);
      proc = await launch();
    },
  };
  return { fixture, get };
}

/** The org id of pool-level test servers (those not registered through the API). */
export const TEST_ORG = '00000000-0000-4000-8000-00000000c0de';

/** A stdio server config as toServerConfig would make it, with a low server's sandbox limits. */
export function stdioConfig(c: {
  id: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  network?: boolean;
  writablePaths?: string[];
}): Extract<McpServerConfig, { transport: 'stdio' }> {
  const { memoryMb, cpuSeconds, maxProcesses, maxOpenFiles } = LIMIT_DEFAULTS.low;
  return {
    orgId: TEST_ORG,
    name: c.id,
    transport: 'stdio',
    env: {},
    network: false,
    writablePaths: [],
    readablePaths: [],
    limits: { memoryMb, cpuSeconds, maxProcesses, maxOpenFiles },
    ...c,
  };
}

/** A path in the test org's workspace (where pool-level test servers may be given files). */
export function testWorkspacePath(...parts: string[]): string {
  return path.join(orgWorkspace(testSandbox().workspaceRoot, TEST_ORG), ...parts);
}

/** The reference "everything" server over stdio (node_modules/@modelcontextprotocol/server-everything). */
export function everythingServer(opts: { id?: string; env?: Record<string, string> } = {}): McpServerConfig {
  return stdioConfig({
    id: opts.id ?? 'everything',
    command: process.execPath,
    args: [serverBin('server-everything'), 'stdio'],
    env: opts.env ?? {},
  });
}

/** The reference knowledge-graph memory server over stdio, keeping its graph in the test org's workspace. */
export function memoryServer(opts: { id?: string } = {}): McpServerConfig {
  const dir = testWorkspacePath(`memory-${randomUUID()}`);
  return stdioConfig({
    id: opts.id ?? 'memory',
    command: process.execPath,
    args: [serverBin('server-memory')],
    env: { MEMORY_FILE_PATH: path.join(dir, 'graph.jsonl') },
    writablePaths: [dir],
  });
}

/** The reference filesystem server over stdio, allowed to read and write only `dir` (in the test org's workspace). */
export function filesystemServer(dir: string, opts: { id?: string } = {}): McpServerConfig {
  return stdioConfig({
    id: opts.id ?? 'filesystem',
    command: process.execPath,
    args: [serverBin('server-filesystem'), dir],
    writablePaths: [dir],
  });
}

/** One of our HTTP test servers as a pool config. */
export function httpServerConfig(
  server: Pick<HttpFixture, 'url' | 'port'>,
  opts: { id?: string; headers?: Record<string, string> } = {},
): McpServerConfig {
  const id = opts.id ?? `http-${server.port}`;
  return { id, orgId: TEST_ORG, name: id, transport: 'http', url: server.url, headers: opts.headers ?? {} };
}
