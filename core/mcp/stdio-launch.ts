import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { Logger } from '../log.js';
import type { EgressProxy } from '../net/egress-proxy.js';
import type { GuardedFetch } from '../net/guarded-fetch.js';
import { Redactor } from '../secrets/redact.js';
import { McpCallError } from './call-error.js';
import type { McpServerConfig } from './client-pool.js';
import { egressSocketPath, sandboxedLaunch, type SandboxSettings } from './sandbox.js';
import type { StdioCommandPolicy } from './stdio-commands.js';

type StdioServerConfig = Extract<McpServerConfig, { transport: 'stdio' }>;

/** What starting a stdio server needs from the pool. */
export interface StdioLaunchDeps {
  logger: Logger;
  sandbox: SandboxSettings;
  commands: StdioCommandPolicy;
  fetch: GuardedFetch;
  egressProxy: EgressProxy;
}

const MAX_FETCHED_FILE_BYTES = 8 * 1024 * 1024;

/**
 * The client transport of a stdio server, spawning it inside the sandbox (sandbox.ts) once the client
 * connects; its stderr goes to the log under its name, known secret values redacted. `prepare` must have
 * finished before it spawns. Throws (kind connect) for a command no longer allowed, or a server that cannot
 * be sandboxed, before anything spawns.
 */
export function stdioTransport(
  server: StdioServerConfig,
  deps: StdioLaunchDeps,
): { transport: StdioClientTransport; prepare: () => Promise<void> } {
  if (!deps.commands.allows(server.command)) {
    throw new McpCallError({
      kind: 'connect',
      reachedServer: false,
      serverName: server.name,
      message: `MCP server ${server.name} was not started: ${server.command} is not in MCP_STDIO_COMMANDS`,
    });
  }
  const egressSocket = server.network ? egressSocketPath(deps.sandbox.workRoot, server.id) : undefined;
  const launch = sandboxedLaunch({ ...server, ...(egressSocket ? { egressSocket } : {}) }, deps.sandbox);
  const transport = new StdioClientTransport({
    command: launch.command,
    args: launch.args,
    // Not process.env: the server sees its configured env over the sandbox's HOME, PATH and TMPDIR (the
    // SDK adds TERM and its few other defaults, which these override).
    env: { ...launch.env, ...server.env },
    stderr: 'pipe',
    cwd: launch.cwd,
  });
  if (transport.stderr) {
    // A server may print its env or its inputs: known secret values never reach our logs.
    const redactor = new Redactor(server.secrets ?? []);
    createInterface({ input: transport.stderr as Readable, crlfDelay: Infinity }).on('line', (line) =>
      deps.logger.info({ mcpServer: server.name }, redactor.text(line).slice(0, 4096)),
    );
  }
  return { transport, prepare: () => prepare(server, { workDir: launch.cwd, egressSocket }, deps) };
}

/**
 * Before a stdio server starts: a network: true server's only way out, the egress proxy, listens; the
 * files its template needs are fetched (under the egress policy) into its dir.
 */
async function prepare(
  server: StdioServerConfig,
  at: { workDir: string; egressSocket: string | undefined },
  deps: StdioLaunchDeps,
): Promise<void> {
  if (at.egressSocket) await deps.egressProxy.listen(at.egressSocket, server.name, server.egressAllow ?? []);
  for (const file of server.files ?? []) {
    const res = await deps.fetch(file.url, { signal: AbortSignal.timeout(30_000) });
    if (!res.ok)
      throw new Error(
        `fetching ${new URL(file.url).host}${new URL(file.url).pathname} for ${server.name}: HTTP ${res.status}`,
      );
    if (Number(res.headers.get('content-length') ?? 0) > MAX_FETCHED_FILE_BYTES)
      throw new Error(`${file.url} is larger than ${MAX_FETCHED_FILE_BYTES} bytes`);
    const body = Buffer.from(await res.arrayBuffer());
    if (body.length > MAX_FETCHED_FILE_BYTES)
      throw new Error(`${file.url} is larger than ${MAX_FETCHED_FILE_BYTES} bytes`);
    // The file name came from a template, never from a tenant.
    writeFileSync(path.join(at.workDir, path.basename(file.path)), body, { mode: 0o644 });
  }
}
