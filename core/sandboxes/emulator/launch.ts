/**
 * How to start the emulator process, for the sandbox launcher (which runs it sandboxed, with PostgreSQL
 * reached through a bridged socket) and for tests (which run it directly): the command, its arguments and
 * env, and the host paths it must be able to read besides the Node runtime and node_modules.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../../paths.js';
import type { EmulatorDatabase } from './store.js';
import { HEALTH_PATH } from './server.js';

export const EMULATOR_DIR = path.join(PROJECT_ROOT, 'core', 'sandboxes', 'emulator');
export const EMULATOR_MAIN = path.join(EMULATOR_DIR, 'main.ts');
/** Everything the emulator imports outside node_modules: this folder and core/input/ (pure, no imports of ours). */
export const EMULATOR_READ_PATHS = [EMULATOR_DIR, path.join(PROJECT_ROOT, 'core', 'input')];
/** The path the launcher polls until the emulator answers (200 once it reaches its database, 503 before). */
export const EMULATOR_READY_PATH = HEALTH_PATH;

// By URL: the process's cwd is its own work dir, where a bare `--import tsx` would not resolve.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface EmulatorLaunchInput {
  specPath: string;
  /** The port to listen on, 127.0.0.1 (inside the sandbox's own network namespace); 0 for a free one. */
  port: number;
  db: EmulatorDatabase;
  /** Where the emulator reaches PostgreSQL: the bridge inside the sandbox, or the server itself. */
  pg: { host: string; port: number };
  /** The address to listen on; default 127.0.0.1 (a container listens on 0.0.0.0 of its own network). */
  listenHost?: string;
  limits?: { maxBodyBytes?: number; maxResources?: number; maxStorageBytes?: number };
}

/** The emulator's command line and env (nothing inherited: this is all it needs). */
export function emulatorLaunch(input: EmulatorLaunchInput): {
  command: string;
  args: string[];
  env: Record<string, string>;
} {
  const env: Record<string, string> = {
    PGHOST: input.pg.host,
    PGPORT: String(input.pg.port),
    PGUSER: input.db.user,
    PGPASSWORD: input.db.password,
    PGDATABASE: input.db.database,
    // Sandboxed, the database is a local socket bridge: TLS would add nothing.
    PGSSLMODE: 'disable',
  };
  const limits = input.limits ?? {};
  if (limits.maxBodyBytes) env.EMULATOR_MAX_BODY_BYTES = String(limits.maxBodyBytes);
  if (limits.maxResources) env.EMULATOR_MAX_RESOURCES = String(limits.maxResources);
  if (limits.maxStorageBytes) env.EMULATOR_MAX_STORAGE_BYTES = String(limits.maxStorageBytes);
  return {
    command: process.execPath,
    args: [
      '--import',
      TSX,
      EMULATOR_MAIN,
      '--spec',
      input.specPath,
      '--port',
      String(input.port),
      '--host',
      input.listenHost ?? '127.0.0.1',
    ],
    env,
  };
}
