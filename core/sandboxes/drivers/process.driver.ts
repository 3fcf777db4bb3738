import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { TOOLS_BIN } from '../../paths.js';
import { startEmulator } from '../emulator-service.js';
import { startPrism } from '../prism.js';
import { ServiceStartError, startService } from '../service-process.js';
import type { SandboxDriver } from './driver.js';

// Temporary (branch int-gcp): fake-gcs-server from .tools/bin, until the launchers of branch emulators land.
const FAKE_GCS_PORT = 4443;

/** The embedded default: Prism and the emulator as processes in the stdio servers' sandbox. */
export const processDriver: SandboxDriver = {
  name: 'process',
  startMock: (input, { settings, log }) => startPrism(input, settings, log),
  startEmulated: (input, { settings, log }) => startEmulator(input, settings, log),
  // Replaced by the moto and fake-gcs-server launchers (branch emulators).
  startMoto: (input) => Promise.reject(new ServiceStartError(`moto ${input.sandboxId}`, 'moto is not wired yet', '')),
  startFakeGcs: (input, { settings, log }) => {
    const bin = path.join(TOOLS_BIN, 'fake-gcs-server');
    if (!existsSync(bin))
      return Promise.reject(new ServiceStartError(`fake-gcs-server ${input.sandboxId}`, `no ${bin}`, ''));
    return startService(
      {
        id: input.sandboxId,
        orgId: input.orgId,
        name: `fake-gcs-server ${input.sandboxId}`,
        command: realpathSync(bin),
        args: ['-scheme', 'http', '-host', '127.0.0.1', '-port', String(FAKE_GCS_PORT), '-backend', 'memory'],
        env: {},
        innerPort: FAKE_GCS_PORT,
        readablePaths: [],
        limits: input.limits,
        readyPath: '/storage/v1/b',
        startTimeoutMs: input.startTimeoutMs ?? 60_000,
        ...(input.onRecord ? { onRecord: input.onRecord } : {}),
      },
      settings,
      log,
    );
  },
};
