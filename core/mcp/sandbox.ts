import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, mkdirSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT, TOOLS_BIN } from '../paths.js';
import { McpCallError } from './call-error.js';

/** The process a stdio MCP server runs as: what to spawn, and where. */
export interface StdioLaunch {
  command: string;
  args: string[];
  cwd: string;
}

/** An OS tool that runs a process in a fresh network namespace (no route out, not even to the host's loopback). */
export interface SandboxTool {
  kind: 'bwrap' | 'unshare';
  path: string;
}

/** Where per-server working directories go when the pool is given no root. */
export const DEFAULT_WORK_ROOT = path.join(os.tmpdir(), 'collexa', 'mcp');

/** The server's own working directory `<root>/<serverId>`, created (mode 0700) if missing; real path. */
export function serverWorkDir(root: string, serverId: string): string {
  // Ids are UUIDs in production; anything else still becomes one path segment ('.' too, so never '..').
  const dir = path.resolve(root, serverId.replace(/[^A-Za-z0-9_-]/g, '_') || '_');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return realpathSync(dir);
}

/** Wraps `launch` so that it runs without network: bwrap (read-only root, writable cwd, private /tmp) or `unshare --net`. */
export function sandboxed(launch: StdioLaunch, tool: SandboxTool): StdioLaunch {
  if (tool.kind === 'unshare') {
    // No fork: unshare execs the server, so the pool's pid and signals reach it directly.
    return { command: tool.path, args: ['--net', '--', launch.command, ...launch.args], cwd: launch.cwd };
  }
  const cwd = launch.cwd;
  const args = ['--unshare-net', '--die-with-parent', '--new-session', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp'];
  // The private /tmp hides the host's: a checkout, or a server's files, living under it must be put back
  // (read-only), e.g. a CI clone in /tmp whose node_modules hold the server.
  for (const p of hiddenByPrivateTmp([PROJECT_ROOT, launch.command, ...launch.args])) args.push('--ro-bind', p, p);
  // After --tmpfs /tmp, so a working dir under the OS temp dir stays visible (and writable).
  args.push('--bind', cwd, cwd, '--chdir', cwd, '--', launch.command, ...launch.args);
  return { command: tool.path, args, cwd };
}

let found: SandboxTool | undefined;

/**
 * The first sandbox tool that works on this machine, probed once per process: bwrap (`.tools/bin`, then
 * PATH), else `unshare` when running as root. Returns the reasons the candidates failed when none works.
 */
export function findSandboxTool(): SandboxTool | { failures: string[] } {
  if (found) return found;
  const failures: string[] = [];
  const candidates: SandboxTool[] = [
    ...[path.join(TOOLS_BIN, 'bwrap'), onPath('bwrap')].filter((p): p is string => p !== undefined).map((p) => ({ kind: 'bwrap' as const, path: p })),
    ...(process.getuid?.() === 0 ? [onPath('unshare')].filter((p): p is string => p !== undefined).map((p) => ({ kind: 'unshare' as const, path: p })) : []),
  ];
  for (const tool of candidates) {
    if (!isExecutable(tool.path)) continue;
    const probe = tool.kind === 'bwrap' ? ['--unshare-net', '--dev-bind', '/', '/', 'true'] : ['--net', 'true'];
    const r = spawnSync(tool.path, probe, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000, encoding: 'utf8' });
    if (r.status === 0) return (found = tool);
    failures.push(`${tool.path}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`);
  }
  return { failures };
}

/**
 * The launch of a stdio server: its own working directory, and for `network: false` the sandbox. Throws a
 * `connect` McpCallError when no sandbox tool works: such a server never runs unsandboxed.
 */
export function stdioLaunch(
  server: { id: string; name: string; command: string; args: string[]; cwd?: string; network?: boolean },
  opts: { workRoot: string; sandbox?: SandboxTool | null },
): StdioLaunch {
  const launch = { command: server.command, args: server.args, cwd: server.cwd ?? serverWorkDir(opts.workRoot, server.id) };
  if (server.network !== false) return launch;
  const tool = opts.sandbox === undefined ? findSandboxTool() : (opts.sandbox ?? { failures: ['no sandbox tool given'] });
  if ('failures' in tool) {
    const why = tool.failures.length > 0 ? ` (${tool.failures.join('; ')})` : ' (neither bwrap nor, as root, unshare was found)';
    throw new McpCallError({
      kind: 'connect',
      reachedServer: false,
      serverName: server.name,
      message:
        `MCP server ${server.name} has network: false but no sandbox tool works here${why}. ` +
        'Install bubblewrap (apt-get install bubblewrap, or `npm run tools` as root) or set BWRAP_PATH and run `npm run tools`; as root, util-linux `unshare` also works.',
    });
  }
  return sandboxed(launch, tool);
}

/** Existing absolute paths under /tmp among `candidates`, without ones already covered by another. */
function hiddenByPrivateTmp(candidates: string[]): string[] {
  const under = candidates
    .filter((p) => path.isAbsolute(p) && (p === '/tmp' || p.startsWith('/tmp/')) && existsSync(p))
    .map((p) => realpathSync(p))
    .sort((a, b) => a.length - b.length);
  return under.filter((p, i) => !under.slice(0, i).some((q) => p === q || p.startsWith(`${q}/`)));
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
