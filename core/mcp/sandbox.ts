import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  statSync,
} from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../paths.js';
import { McpCallError } from './call-error.js';
import { orgWorkspace } from './workspace.js';
import { findSandboxTools, type SandboxTools } from './sandbox-tools.js';

export { findSandboxTools, type SandboxTools } from './sandbox-tools.js';

/** Operating-system limits of one stdio server process (rlimits, set with prlimit before the sandbox starts). */
export interface ProcessLimits {
  /**
   * Memory in MiB (RLIMIT_DATA: private writable mappings, the heap and buffers). Not RLIMIT_AS: Node and
   * WebAssembly reserve many GiB of address space they never touch, and would not start under it.
   */
  memoryMb: number;
  /** CPU seconds over the process's life (RLIMIT_CPU); the lifecycle respawns a server killed by it. */
  cpuSeconds: number;
  /** Processes and threads of the sandbox's uid (RLIMIT_NPROC). */
  maxProcesses: number;
  /** Open files (RLIMIT_NOFILE). */
  maxOpenFiles: number;
}

/** What a stdio server runs as: the command, and what the sandbox gives it. */
export interface SandboxedServer {
  id: string;
  orgId: string;
  name: string;
  command: string;
  args: string[];
  network: boolean;
  /** Host paths, inside the org's workspace, the server may write besides its working dir (filesystem template). */
  writablePaths: string[];
  /** Host paths, inside the org's workspace, the server may read (an OpenAPI spec file). */
  readablePaths: string[];
  /** Files or folders of Collexa's own code under core/ the process runs (an entry script, an integration), bound read-only. */
  shippedFiles?: string[];
  /**
   * With `network: true`: the unix socket of the worker's egress proxy, the sandbox's only way out. The
   * server runs behind egress-forwarder.mjs, with HTTP(S)_PROXY pointing at it.
   */
  egressSocket?: string;
  /** A long-lived service's way in (and to the few host addresses it may reach), through unix sockets. */
  bridges?: SandboxBridges;
  limits: ProcessLimits;
}

/**
 * The unix-socket bridges of a long-lived service (core/sandboxes/service-process.ts): `dir` is bound read-write
 * at its host path, and the command runs behind ingress-forwarder.mjs, which listens on `ingress.socket` and
 * connects each connection to 127.0.0.1:`ingress.port` inside, and for each `reach` entry listens on
 * 127.0.0.1:`port` inside and connects to `socket`, a listener the host made. `dir` is a real path (it is bound
 * there) and holds every socket.
 */
export interface SandboxBridges {
  dir: string;
  ingress: { socket: string; port: number };
  reach: Array<{ port: number; socket: string }>;
}

/** How the worker runs stdio servers; one value per process, from config. */
export interface SandboxSettings {
  /** Root of per-server working dirs `<workRoot>/<serverId>`. */
  workRoot: string;
  /** WORKSPACE_ROOT: a server's writable and readable paths must lie in `<workspaceRoot>/<orgId>`. */
  workspaceRoot: string;
  /** Extra host paths every server may read (MCP_SANDBOX_READ_PATHS), e.g. a dir of server scripts. */
  readPaths: string[];
  /** When running as root, each org's servers run as uid/gid `uidBase + n` (n from the org id). */
  uidBase: number;
  /** Sandbox tools; default: found on this machine. null: none (every stdio server refuses to start). */
  tools?: SandboxTools | null;
}

/** The process the client transport spawns, with the env it must be given. */
export interface StdioLaunch {
  command: string;
  args: string[];
  cwd: string;
  /** Not secrets: HOME and friends pointing into the sandbox. The server's own env is added by the caller. */
  env: Record<string, string>;
}

// What a runtime needs from /etc to resolve names, verify TLS and find shared libraries.
const ETC_FILES = [
  'resolv.conf',
  'hosts',
  'nsswitch.conf',
  'host.conf',
  'gai.conf',
  'ssl',
  'ca-certificates',
  'ca-certificates.conf',
  'alternatives',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'localtime',
  'protocols',
  'services',
  'mime.types',
];
const TOP_LEVEL = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];
const SANDBOX_PATH = '/usr/local/bin:/usr/bin:/bin';
const EGRESS_FORWARDER = path.join(PROJECT_ROOT, 'core', 'mcp', 'egress-forwarder.mjs');
const INGRESS_FORWARDER = path.join(PROJECT_ROOT, 'core', 'sandboxes', 'ingress-forwarder.mjs');
// Inside the sandbox's own network namespace: no other process can be on it.
const FORWARDER_PORT = 3128;

/** Where the egress proxy listens for one server: beside the work dirs, not in the server's own dir. */
export function egressSocketPath(workRoot: string, serverId: string): string {
  return path.join(workRoot, '.egress', `${serverId.replace(/[^A-Za-z0-9_-]/g, '_') || '_'}.sock`);
}

/**
 * The launch of a stdio server inside bubblewrap, never as root. The server gets new user, PID, IPC,
 * UTS and cgroup namespaces (and a network namespace of its own with `network: false`), an unprivileged
 * uid/gid (when the worker is root: one per org, mapped through setpriv before bwrap starts), and a
 * filesystem of: /usr and the few /etc files a runtime needs (read-only), the Node runtime and the
 * project's node_modules (read-only, the packages Collexa ships), the operator's extra read paths, its own
 * working dir and writable paths (read-write, at their host paths), a private /tmp, /dev and its own /proc.
 * The data dir, the checkout, PostgreSQL's files, other servers' dirs and the host's /proc are not in it.
 * No env is inherited: only what the caller passes. rlimits from `limits` bound memory, CPU, processes and files.
 */
export function sandboxedLaunch(server: SandboxedServer, settings: SandboxSettings): StdioLaunch {
  const tools = settings.tools === undefined ? findSandboxTools() : settings.tools;
  if (tools === null || 'failures' in tools) {
    const why = tools === null ? 'no sandbox tools were given' : tools.failures.join('; ');
    throw refusal(
      server,
      `it cannot be sandboxed here (${why}). Install bubblewrap and util-linux (apt-get install bubblewrap util-linux, or \`npm run tools\` as root) and allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 / user.max_user_namespaces > 0)`,
    );
  }
  const uid = sandboxUser(server.orgId, settings);
  const workDir = serverWorkDir(settings.workRoot, server.id, uid);
  const workspace = ensureOwnedDir(orgWorkspace(settings.workspaceRoot, server.orgId), uid);
  const writable = server.writablePaths.map((p) => insideWorkspace(server, ensureOwnedDir(p, uid), workspace));
  const readable = server.readablePaths
    .filter((p) => existsSync(p))
    .map((p) => insideWorkspace(server, realpathSync(p), workspace));

  // Always a network namespace of its own: `network: true` reaches out only through the egress proxy.
  const bwrap = [
    '--unshare-user',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--disable-userns',
    '--unshare-net',
  ];
  if (server.network && !server.egressSocket)
    throw refusal(server, 'it has network: true but no egress proxy was set up for it');
  if (server.bridges) assertBridges(server, server.bridges);
  bwrap.push('--die-with-parent', '--new-session', '--hostname', 'mcp', '--ro-bind', '/usr', '/usr');
  for (const dir of TOP_LEVEL) {
    const p = `/${dir}`;
    if (!existsSync(p)) continue;
    if (lstatSync(p).isSymbolicLink()) bwrap.push('--symlink', readlinkSync(p), p);
    else bwrap.push('--ro-bind', p, p);
  }
  for (const f of ETC_FILES) bwrap.push('--ro-bind-try', `/etc/${f}`, `/etc/${f}`);
  // The private /tmp first: binds below come after it, so a checkout or data dir under /tmp (a CI clone,
  // a test run's dir) is mounted over it, not hidden by it.
  bwrap.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
  const readOnly = [...readOnlyPaths(server, settings), ...readable, ...shippedFiles(server)];
  const bridgeDir = server.bridges ? [server.bridges.dir] : [];
  if (uid !== undefined)
    for (const p of [...readOnly, workDir, ...writable, ...bridgeDir]) assertReachable(server, p, uid);
  for (const p of readOnly) bwrap.push('--ro-bind', p, p);
  for (const p of [workDir, ...writable, ...bridgeDir]) bwrap.push('--bind', p, p);
  const node = realpathSync(process.execPath);
  let command = [server.command, ...server.args];
  if (server.network) {
    command = [node, EGRESS_FORWARDER, server.egressSocket!, String(FORWARDER_PORT), '--', ...command];
    bwrap.push('--ro-bind', EGRESS_FORWARDER, EGRESS_FORWARDER, '--bind', server.egressSocket!, server.egressSocket!);
  }
  if (server.bridges) {
    // Outermost: the service's stdin ending (its stop) reaches the forwarder, which stops the service.
    const { ingress, reach } = server.bridges;
    const routes = reach.flatMap((r) => ['--reach', `${r.port}=${r.socket}`]);
    command = [node, INGRESS_FORWARDER, ingress.socket, String(ingress.port), ...routes, '--', ...command];
    bwrap.push('--ro-bind', INGRESS_FORWARDER, INGRESS_FORWARDER);
  }
  // Everything else (the mount points bwrap made) read-only: the writable mounts above stay writable.
  bwrap.push('--remount-ro', '/', '--chdir', workDir, '--', ...command);

  // RLIMIT_DATA is memoryMb plus what the Node runtime reserves that is neither heap nor buffers.
  const reserve = runsOnNodeRuntime(server) ? NODE_RUNTIME_RESERVE_MB : 0;
  const l = { ...server.limits, memoryMb: server.limits.memoryMb + reserve };
  const prlimit = [
    `--data=${l.memoryMb * 1024 * 1024}`,
    `--cpu=${l.cpuSeconds}`,
    `--nproc=${l.maxProcesses}`,
    `--nofile=${l.maxOpenFiles}`,
    '--core=0',
    '--',
    tools.bwrap,
    ...bwrap,
  ];
  const env = { PATH: SANDBOX_PATH, HOME: workDir, TMPDIR: '/tmp', USER: 'mcp', LOGNAME: 'mcp', SHELL: '/bin/sh' };
  if (uid === undefined) return { command: tools.prlimit, args: prlimit, cwd: workDir, env };
  if (!tools.setpriv)
    throw refusal(
      server,
      'the worker runs as root and setpriv (util-linux) is missing, so the server cannot be given an unprivileged uid',
    );
  // setpriv drops to the org's uid before anything else runs; no_new_privs keeps it there.
  const setpriv = [
    `--reuid=${uid}`,
    `--regid=${uid}`,
    '--clear-groups',
    '--no-new-privs',
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--',
    tools.prlimit,
    ...prlimit,
  ];
  return { command: tools.setpriv, args: setpriv, cwd: workDir, env };
}

/**
 * What a process of this Node runtime reserves that RLIMIT_DATA counts but that is neither heap nor buffers,
 * in MiB: Node 24's V8 maps each isolate's code range (512 MiB on x64) read-write-execute up front, so an
 * idle server already "uses" that much data (Node 20 and 22 reserve it inaccessible: about 0 here). Measured
 * on this process, which runs the runtime the servers run on (process.execPath): its largest anonymous
 * read-write-execute mapping, counted twice, for the main thread and one more isolate (the module-hooks thread
 * of an `--import` loader such as tsx, or one worker thread); further worker threads count against memoryMb.
 */
const NODE_RUNTIME_RESERVE_MB = 2 * largestRwxMappingMb();

function largestRwxMappingMb(): number {
  let maps: string;
  try {
    maps = readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return 0; // not Linux: no sandbox either
  }
  let largest = 0;
  for (const line of maps.split('\n')) {
    // start-end perms offset dev inode [path]: anonymous mappings have inode 0 and no path.
    const [range, perms, , , inode, name] = line.trim().split(/\s+/);
    if (perms !== 'rwxp' || inode !== '0' || name || !range) continue;
    const [start, end] = range.split('-').map((h) => BigInt(`0x${h}`));
    largest = Math.max(largest, Number((end! - start!) / 1024n));
  }
  return Math.ceil(largest / 1024);
}

/** The sandbox runs this Node runtime: the server is it, or a forwarder (network: true, bridges) is. */
function runsOnNodeRuntime(server: SandboxedServer): boolean {
  if (server.network || server.bridges) return true;
  return (
    path.isAbsolute(server.command) &&
    existsSync(server.command) &&
    realpathSync(server.command) === realpathSync(process.execPath)
  );
}

/** The uid an org's sandboxed processes run as: its sandboxUid when the worker is root, else the worker's own (undefined). */
export function sandboxUser(orgId: string, settings: Pick<SandboxSettings, 'uidBase'>): number | undefined {
  return process.getuid?.() === 0 ? sandboxUid(orgId, settings.uidBase) : undefined;
}

/** The uid (and gid) an org's servers run as when the worker is root: stable, never 0, one range per deployment. */
export function sandboxUid(orgId: string, base: number): number {
  let h = 0;
  for (const ch of orgId) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return base + (h % 60_000);
}

/** The server's own working directory `<root>/<serverId>` (mode 0700, owned by its uid), real path. */
export function serverWorkDir(root: string, serverId: string, uid?: number): string {
  // Ids are UUIDs in production; anything else still becomes one path segment ('.' too, so never '..').
  const dir = path.resolve(root, serverId.replace(/[^A-Za-z0-9_-]/g, '_') || '_');
  return ensureOwnedDir(dir, uid);
}

/** `real` (a real path) when it is inside the org's workspace; a symlink planted to lead out is refused. */
function insideWorkspace(server: SandboxedServer, real: string, workspace: string): string {
  if (real === workspace || real.startsWith(`${workspace}/`)) return real;
  throw refusal(server, `${real} is outside the organization's workspace ${workspace}`);
}

function ensureOwnedDir(dir: string, uid: number | undefined): string {
  // bwrap binds it as the sandbox's uid, which must be able to walk down to it (not list its parents).
  mkdirSync(path.dirname(dir), { recursive: true, mode: 0o711 });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (uid !== undefined) chownSync(dir, uid, uid);
  chmodSync(dir, 0o700);
  return realpathSync(dir);
}

/** The runtime, the shipped packages, the command's own dir (when outside /usr) and the operator's read paths. */
function readOnlyPaths(server: SandboxedServer, settings: SandboxSettings): string[] {
  const runtime = realpathSync(process.execPath);
  const candidates = [
    path.dirname(path.dirname(runtime)),
    path.join(PROJECT_ROOT, 'node_modules'),
    ...settings.readPaths,
  ];
  if (path.isAbsolute(server.command)) candidates.push(path.dirname(realpathSync(server.command)));
  const paths = candidates.filter((p) => existsSync(p) && !p.startsWith('/usr/')).map((p) => realpathSync(p));
  // Parents first, then drop children a parent already covers.
  const sorted = [...new Set(paths)].sort((a, b) => a.length - b.length);
  return sorted.filter((p, i) => !sorted.slice(0, i).some((q) => p === q || p.startsWith(`${q}/`)));
}

/**
 * bwrap mounts as the sandbox's uid, so it must be able to walk down to every path it binds. A checkout in
 * a 0700 directory (mktemp -d, /root) blocks that: refuse, naming the directory, rather than fail obscurely.
 */
function assertReachable(server: SandboxedServer, target: string, uid: number): void {
  for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
    const st = statSync(dir);
    if ((st.mode & (st.uid === uid ? 0o100 : 0o001)) === 0) {
      throw refusal(
        server,
        `its sandbox user cannot reach ${target}: ${dir} is not traversable by other users (chmod o+x ${dir}, or move the checkout or data dir)`,
      );
    }
    if (dir === '/') return;
  }
}

/** The server's shipped files and folders, real paths: each must be one of Collexa's own under core/. */
function shippedFiles(server: SandboxedServer): string[] {
  const core = realpathSync(path.join(PROJECT_ROOT, 'core'));
  return (server.shippedFiles ?? []).map((f) => {
    const real = existsSync(f) ? realpathSync(f) : f;
    const st = statSync(real, { throwIfNoEntry: false });
    if (!real.startsWith(`${core}/`) || !(st?.isFile() || st?.isDirectory()))
      throw refusal(server, `${f} is not a file or folder of Collexa's own code under ${core}`);
    return real;
  });
}

/** A real dir with the sockets in it, and no two listeners inside on one port. */
function assertBridges(server: SandboxedServer, bridges: SandboxBridges): void {
  if (!existsSync(bridges.dir) || realpathSync(bridges.dir) !== bridges.dir)
    throw refusal(server, `its bridge dir ${bridges.dir} is not an existing real path`);
  const sockets = [bridges.ingress.socket, ...bridges.reach.map((r) => r.socket)];
  const outside = sockets.find((s) => path.dirname(s) !== bridges.dir);
  if (outside) throw refusal(server, `its bridge socket ${outside} is not in its bridge dir ${bridges.dir}`);
  const ports = [
    bridges.ingress.port,
    ...bridges.reach.map((r) => r.port),
    ...(server.network ? [FORWARDER_PORT] : []),
  ];
  if (new Set(ports).size !== ports.length)
    throw refusal(server, `two of its listeners inside share a port (${ports.join(', ')})`);
}

function refusal(server: Pick<SandboxedServer, 'name' | 'bridges'>, why: string): McpCallError {
  return new McpCallError({
    kind: 'connect',
    reachedServer: false,
    serverName: server.name,
    message: `${server.bridges ? 'Sandbox service' : 'MCP server'} ${server.name} was not started: ${why}`,
  });
}
