// The processes of a sandbox service as the tests see them: which ran, and whether any still does.
import { descendants, readStat } from '../../core/sandboxes/process-record.js';
import type { RunningService } from '../../core/sandboxes/service-process.js';
import { waitFor } from './wait.js';

export type Proc = { pid: number; startedAt: number };

/** The processes of a running service (its sandbox's outer process and everything below it), with start times. */
export const treeOf = (service: RunningService): Proc[] =>
  [service.pid, ...descendants(service.pid)].map((pid) => ({ pid, startedAt: readStat(pid)!.startedAt }));

/** Still running: the same process (a pid the machine reused since is another one), not a zombie. */
export const alive = ({ pid, startedAt }: Proc) => {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.startedAt === startedAt;
};

/**
 * Resolves once none of `tree` runs. Not at once when stop() or exited resolves: bwrap's outer process reports
 * the end of the command while its inner one (pid 1 of the sandbox) may still be reaping the rest.
 */
export const allEnded = (tree: Proc[], timeoutMs = 5_000) =>
  waitFor(
    () => tree.filter(alive),
    (left) => left.length === 0,
    { what: 'the sandbox processes to end', timeoutMs },
  );
