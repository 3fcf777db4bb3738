import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { inject } from 'vitest';
import type { McpServerConfig } from '../../core/mcp/client-pool.js';
import { PROJECT_ROOT } from '../../core/paths.js';
import { freePort, type ManagedProcess } from '../../scripts/dev/processes.js';
import { launchMcpHttpFixture } from '../fixtures/launch-mcp-http-server.js';

/** One tools/call as the test HTTP server saw it. */
export interface RecordedCall {
  tool: string;
  arguments: Record<string, unknown>;
  meta?: Record<string, unknown>;
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
  clearCalls(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the server (its call log goes with it) and starts it again on the same port. */
  restart(): Promise<void>;
}

const serverBin = (pkg: string) => path.join(PROJECT_ROOT, 'node_modules', '@modelcontextprotocol', pkg, 'dist', 'index.js');

/**
 * Our Streamable HTTP test server (test/fixtures/mcp-http-server.ts) as a child process on a free port;
 * `pageSize` makes it answer tools/list in pages of that many tools.
 */
export async function startHttpMcpServer(opts: { port?: number; version?: string; pageSize?: number } = {}): Promise<HttpMcpServer> {
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

/** The reference "everything" server over stdio (node_modules/@modelcontextprotocol/server-everything). */
export function everythingServer(opts: { id?: string; env?: Record<string, string> } = {}): McpServerConfig {
  const id = opts.id ?? 'everything';
  return { id, name: id, transport: 'stdio', command: process.execPath, args: [serverBin('server-everything'), 'stdio'], env: opts.env ?? {} };
}

/** The reference knowledge-graph memory server over stdio, keeping its graph in this run's temp dir. */
export function memoryServer(opts: { id?: string; memoryFile?: string } = {}): McpServerConfig {
  const id = opts.id ?? 'memory';
  const memoryFile = opts.memoryFile ?? path.join(inject('runDir'), `memory-${randomUUID()}.jsonl`);
  return { id, name: id, transport: 'stdio', command: process.execPath, args: [serverBin('server-memory')], env: { MEMORY_FILE_PATH: memoryFile } };
}

/** The reference filesystem server over stdio, allowed to read and write only `dir`. */
export function filesystemServer(dir: string, opts: { id?: string } = {}): McpServerConfig {
  const id = opts.id ?? 'filesystem';
  return { id, name: id, transport: 'stdio', command: process.execPath, args: [serverBin('server-filesystem'), dir], env: {} };
}

/** Our HTTP test server as a pool config. */
export function httpServerConfig(server: HttpMcpServer, opts: { id?: string; headers?: Record<string, string> } = {}): McpServerConfig {
  const id = opts.id ?? `http-${server.port}`;
  return { id, name: id, transport: 'http', url: server.url, headers: opts.headers ?? {} };
}
