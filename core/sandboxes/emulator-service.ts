import type { ProcessLimits, SandboxSettings } from '../mcp/sandbox.js';
import type { Logger } from '../log.js';
import { EMULATOR_READ_PATHS, EMULATOR_READY_PATH, emulatorLaunch } from './emulator/launch.js';
import type { EmulatorDatabase } from './emulator/store.js';
import { startService, type ProcessRecord, type RunningService } from './service-process.js';

export interface EmulatorInput {
  sandboxId: string;
  orgId: string;
  specPath: string;
  limits: ProcessLimits;
  /** The sandbox's own database and role (EmulatorStore.create). */
  db: EmulatorDatabase;
  /** The platform PostgreSQL the database lives in (host side). */
  pg: { host: string; port: number };
  onRecord?: (record: ProcessRecord) => void | Promise<void>;
}

// Inside the sandbox's own network namespace: the emulator's port, and PostgreSQL's bridge.
const EMULATOR_PORT = 4020;
const PG_PORT = 5432;

/**
 * An emulated sandbox's emulator (core/sandboxes/emulator/) in the stdio-server sandbox: no network but
 * PostgreSQL, reached through a bridged socket at 127.0.0.1:5432 inside as the sandbox's own role, which
 * may open only its own database. It reads the emulator's code and the spec; nothing else of Collexa.
 */
export function startEmulator(input: EmulatorInput, settings: SandboxSettings, log: Logger): Promise<RunningService> {
  const launch = emulatorLaunch({
    specPath: input.specPath,
    port: EMULATOR_PORT,
    db: input.db,
    pg: { host: '127.0.0.1', port: PG_PORT },
  });
  return startService(
    {
      id: input.sandboxId,
      orgId: input.orgId,
      name: `emulator ${input.sandboxId}`,
      ...launch,
      innerPort: EMULATOR_PORT,
      readablePaths: [input.specPath],
      limits: input.limits,
      reach: [{ innerPort: PG_PORT, host: input.pg.host, port: input.pg.port }],
      readyPath: EMULATOR_READY_PATH,
      secrets: [{ name: 'sandbox database password', value: input.db.password }],
      ...(input.onRecord ? { onRecord: input.onRecord } : {}),
    },
    { ...settings, readPaths: [...settings.readPaths, ...EMULATOR_READ_PATHS] },
    log,
  );
}
