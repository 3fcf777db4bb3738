import { readFileSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { recordedContainer, removeContainer } from './drivers/container-record.js';

/**
 * Which process a sandbox started, as the sandbox row keeps it for the reconciler: the host (name and boot
 * id, so a reboot or another machine never matches), the pid, and the pid's start time in clock ticks since
 * boot (/proc/<pid>/stat field 22), which a later process given the same pid does not share.
 */
export interface ProcessRecord {
  hostId: string;
  pid: number;
  startedAt: number;
}

/** What killRecorded found: killed it, it had already ended, the pid is now another process's, or another host's. */
export type KillOutcome = 'killed' | 'gone' | 'pid-reused' | 'other-host';

const KILL_WAIT_MS = 5_000;
let thisHost: string | undefined;

/** This machine as a ProcessRecord names it: `<hostname>/<boot id>`. */
export function currentHostId(): string {
  thisHost ??= `${hostname()}/${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}`;
  return thisHost;
}

/** The record of a live process of this host; throws when it has already ended. */
export function recordOf(pid: number): ProcessRecord {
  const stat = readStat(pid);
  if (!stat) throw new Error(`process ${pid} has already ended`);
  return { hostId: currentHostId(), pid, startedAt: stat.startedAt };
}

/**
 * Kills the recorded process, its process group and every process below it, only if the record is this
 * host's and the pid still belongs to that process (same start time): a pid reused by another process is
 * never signalled. Waits until it is gone (a zombie counts as gone); throws if it outlives SIGKILL. A
 * container's record (the docker driver's) is stopped and removed through the engine instead.
 */
export async function killRecorded(record: ProcessRecord): Promise<KillOutcome> {
  const container = recordedContainer(record);
  if (container) return removeContainer(container);
  if (record.hostId !== currentHostId()) return 'other-host';
  const stat = readStat(record.pid);
  if (!stat || stat.state === 'Z') return 'gone';
  if (stat.startedAt !== record.startedAt) return 'pid-reused';
  killTree(record.pid, stat);
  const alive = () => {
    const now = readStat(record.pid);
    return now !== undefined && now.state !== 'Z' && now.startedAt === record.startedAt;
  };
  for (const deadline = Date.now() + KILL_WAIT_MS; alive(); await sleep(20))
    if (Date.now() > deadline) throw new Error(`process ${record.pid} is still running after SIGKILL`);
  return 'killed';
}

/**
 * SIGKILL to `pid`, its process group when it leads one, and every descendant (a sandbox's processes run
 * in sessions of their own, which the group signal misses). Descendants are listed first, before anything
 * dies and is reparented.
 */
export function killTree(pid: number, stat = readStat(pid)): void {
  const below = descendants(pid);
  if (stat?.pgrp === pid) trySignal(-pid);
  for (const p of [pid, ...below]) trySignal(p);
}

/** Every process below `pid` (from /proc/<pid>/task/<tid>/children), bounded. */
export function descendants(pid: number, max = 1_000): number[] {
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0 && found.length < max) {
    const p = queue.shift()!;
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      let children = '';
      try {
        children = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8');
      } catch {
        // the task ended meanwhile
      }
      const pids = children.split(' ').filter(Boolean).map(Number);
      found.push(...pids);
      queue.push(...pids);
    }
  }
  return found;
}

/** State, process group and start time from /proc/<pid>/stat; undefined when there is no such process. */
export function readStat(pid: number): { state: string; pgrp: number; startedAt: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // `pid (comm) state ppid pgrp …`: comm may hold spaces and parentheses, so fields count from the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0]!, pgrp: Number(fields[2]), startedAt: Number(fields[19]) };
}

function trySignal(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
