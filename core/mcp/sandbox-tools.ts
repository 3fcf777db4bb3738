import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { TOOLS_BIN } from '../paths.js';

/** The programs a stdio server's sandbox is built from: bubblewrap, util-linux's prlimit and (as root) setpriv. */
export interface SandboxTools {
  bwrap: string;
  prlimit: string;
  setpriv?: string;
}

// A uid no account uses, for the probe run as root (the same kind of uid the servers get).
const PROBE_UID = 65_533;
let found: SandboxTools | { failures: string[] } | undefined;

/**
 * The sandbox tools of this machine, probed once per process: bwrap from `.tools/bin` or PATH, prlimit and
 * setpriv from PATH. The probe starts bwrap as a server would start (unprivileged, new user, PID and
 * network namespaces), so a machine that forbids unprivileged user namespaces fails here, with the
 * reason, rather than at a server's first call.
 */
export function findSandboxTools(): SandboxTools | { failures: string[] } {
  if (found) return found;
  const failures: string[] = [];
  const bwrap = [path.join(TOOLS_BIN, 'bwrap'), onPath('bwrap')].find((p) => p !== undefined && isExecutable(p));
  const prlimit = onPath('prlimit');
  const setpriv = onPath('setpriv');
  const root = process.getuid?.() === 0;
  if (!bwrap) failures.push('bwrap (bubblewrap) is not installed');
  if (!prlimit) failures.push('prlimit (util-linux) is not on PATH');
  if (root && !setpriv) failures.push('setpriv (util-linux) is not on PATH, and the worker runs as root');
  if (failures.length === 0) {
    const probe = [
      '--unshare-user',
      '--unshare-pid',
      '--unshare-net',
      '--disable-userns',
      '--ro-bind',
      '/',
      '/',
      '--',
      'true',
    ];
    const [cmd, args] = root
      ? [setpriv!, [`--reuid=${PROBE_UID}`, `--regid=${PROBE_UID}`, '--clear-groups', '--', bwrap!, ...probe]]
      : [bwrap!, probe];
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000, encoding: 'utf8' });
    if (r.status !== 0)
      failures.push(
        `bwrap cannot create an unprivileged sandbox here: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`,
      );
  }
  found = failures.length > 0 ? { failures } : { bwrap: bwrap!, prlimit: prlimit!, ...(setpriv ? { setpriv } : {}) };
  return found;
}

/** The first executable `name` on PATH (a bare name; anything with a slash is not looked up). */
export function onPath(name: string): string | undefined {
  if (name.includes('/')) return undefined;
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
