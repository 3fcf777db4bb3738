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

export interface HttpMcpServer {
  url: string;
  port: number;
  calls(): Promise<RecordedCall[]>;
  /** Every x-test-secret header the server received, oldest first (cleared with the call log). */
  secretHeaders(): Promise<SeenSecretHeader[]>;
  /** Every notifications/cancelled the server received, oldest first (cleared with the call log). */
  cancellations(): Promise<RecordedCancellation[]>;
  clearCalls(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the server (its call log goes with it) and starts it again on the same port. */
  restart(): Promise<void>;
}

const serverBin = (pkg: string) =>
  path.join(PROJECT_ROOT, 'node_modules', '@modelcontextprotocol', pkg, 'dist', 'index.js');

/**
 * Our Streamable HTTP test server (test/fixtures/mcp-http-server.ts) as a child process on a free port;
 * `pageSize` makes it answer tools/list in pages of that many tools.
 */
export async function startHttpMcpServer(
  opts: { port?: number; version?: string; pageSize?: number } = {},
): Promise<HttpMcpServer> {
  const port = opts.port ?? (await freePort());
  const base = `http://127.0.0.1:${port}`;
  const args = ['--version', opts.version ?? 'v1', ...(opts.pageSize ? ['--page-size', String(opts.pageSize)] : [])];
  const launch = () => launchHttpFixture(port, args);
  let proc = await launch();
  return {
    url: `${base}/mcp`,
    port,
    async calls() {
      const res = await fetch(`${base}/calls`);
      if (!res.ok) throw new Error(`GET /calls: ${res.status}`);
      return (await res.json()) as RecordedCall[];
    },
    async secretHeaders() {
      const res = await fetch(`${base}/secret-headers`);
      if (!res.ok) throw new Error(`GET /secret-headers: ${res.status}`);
      return (await res.json()) as SeenSecretHeader[];
    },
    async cancellations() {
      const res = await fetch(`${base}/cancellations`);
      if (!res.ok) throw new Error(`GET /cancellations: ${res.status}`);
      return (await res.json()) as RecordedCancellation[];
    },
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
}

function launchHttpFixture(port: number, args: string[]): Promise<ManagedProcess> {
  return launchMcpHttpFixture({ port, args, logFile: path.join(inject('runDir'), `mcp-http-server-${port}.log`) });
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

/** Our HTTP test server as a pool config. */
export function httpServerConfig(
  server: HttpMcpServer,
  opts: { id?: string; headers?: Record<string, string> } = {},
): McpServerConfig {
  const id = opts.id ?? `http-${server.port}`;
  return { id, orgId: TEST_ORG, name: id, transport: 'http', url: server.url, headers: opts.headers ?? {} };
}
