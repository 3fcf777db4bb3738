// Collexa's own processes as children: the API (api/server.ts) or a worker (workers/main.ts) run through tsx,
// as `npm run api` and `npm run worker` do, and waited for until they log that they are ready. Used by
// `npm start` (scripts/dev/stack.ts) and by the benches that need processes they can kill (bench/burst).
import path from 'node:path';
import { PROJECT_ROOT } from '../../core/paths.js';
import { spawnService, waitUntil, type ManagedProcess } from './processes.js';

export type AppKind = 'api' | 'worker';

const ENTRY: Record<AppKind, string> = { api: 'api/server.ts', worker: 'workers/main.ts' };
const READY: Record<AppKind, string> = { api: '"msg":"api listening"', worker: '"msg":"worker ready"' };

/** Spawns `kind` under `name` (its own process group, logging to `logFile`) and resolves once it is ready. */
export async function startAppProcess(opts: {
  kind: AppKind;
  name?: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  timeoutMs?: number;
}): Promise<ManagedProcess> {
  const name = opts.name ?? opts.kind;
  let ready = false;
  let seen = '';
  const proc = spawnService({
    name,
    command: process.execPath,
    args: ['--import', 'tsx', path.join(PROJECT_ROOT, ENTRY[opts.kind])],
    env: opts.env,
    logFile: opts.logFile,
    onOutput: (chunk) => {
      // The marker may straddle two chunks: keep the tail of what came before.
      seen = (seen + chunk).slice(-4096);
      if (seen.includes(READY[opts.kind])) ready = true;
    },
  });
  try {
    await waitUntil(
      name,
      async () => {
        if (!ready) throw new Error('not ready yet');
      },
      { timeoutMs: opts.timeoutMs ?? 60_000, process: proc },
    );
  } catch (err) {
    await proc.stop(2000, 'SIGKILL');
    throw err;
  }
  return proc;
}
