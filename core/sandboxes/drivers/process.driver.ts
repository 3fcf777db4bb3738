import { startEmulator } from '../emulator-service.js';
import { startPrism } from '../prism.js';
import { ServiceStartError } from '../service-process.js';
import type { SandboxDriver } from './driver.js';

/** The embedded default: Prism and the emulator as processes in the stdio servers' sandbox. */
export const processDriver: SandboxDriver = {
  name: 'process',
  startMock: (input, { settings, log }) => startPrism(input, settings, log),
  startEmulated: (input, { settings, log }) => startEmulator(input, settings, log),
  // Replaced by the moto and fake-gcs-server launchers (branch emulators).
  startMoto: (input) => Promise.reject(new ServiceStartError(`moto ${input.sandboxId}`, 'moto is not wired yet', '')),
  startFakeGcs: (input) =>
    Promise.reject(new ServiceStartError(`fake-gcs-server ${input.sandboxId}`, 'fake-gcs-server is not wired yet', '')),
};
