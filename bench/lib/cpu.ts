// CPU time spent by each process of the stack during a phase, so a report can say where the cores went.
// Reads /proc (Linux); elsewhere only this process is measured.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** CPU milliseconds by component name. */
export type CpuMs = Record<string, number>;

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** ppid and CPU ticks (own; and of exited children it reaped) of a pid, from /proc/<pid>/stat. */
function stat(pid: number): { ppid: number; ticks: number } | undefined {
  try {
    // After "pid (comm) " (comm may hold spaces): state=0 ppid=1 ... utime=11 stime=12 cutime=13 cstime=14.
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ').map(Number);
    return { ppid: f[1]!, ticks: f[11]! + f[12]! + f[13]! + f[14]! };
  } catch {
    return undefined;
  }
}

/**
 * CPU ms so far of each named process and all its descendants (PostgreSQL's backends run in sessions of
 * their own, so process groups would miss them); descendants that exited count through their parent.
 */
export function cpuSnapshot(roots: Record<string, number | undefined>): CpuMs {
  const self = process.cpuUsage();
  const out: CpuMs = { 'bench process': (self.user + self.system) / 1000 };
  if (process.platform !== 'linux') return out;
  const procs = new Map<number, { ppid: number; ticks: number }>();
  for (const pid of readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)) {
    const s = stat(pid);
    if (s) procs.set(pid, s);
  }
  const treeTicks = (root: number): number => {
    let sum = procs.get(root)?.ticks ?? 0;
    for (const [pid, s] of procs) if (s.ppid === root) sum += treeTicks(pid);
    return sum;
  };
  for (const [name, pid] of Object.entries(roots)) {
    if (pid !== undefined) out[name] = (treeTicks(pid) * 1000) / clockTicks();
  }
  return out;
}

/** after − before, per component. */
export function cpuDelta(before: CpuMs, after: CpuMs): CpuMs {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
}
