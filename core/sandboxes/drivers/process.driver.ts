import { startEmulator } from '../emulator-service.js';
import { startFakeGcs } from '../fake-gcs.js';
import { startMoto } from '../moto.js';
import { startPrism } from '../prism.js';
import type { SandboxDriver } from './driver.js';

/** The embedded default: Prism, the emulator, moto and fake-gcs-server as processes in the stdio servers' sandbox. */
export const processDriver: SandboxDriver = {
  name: 'process',
  startMock: (input, { settings, log }) => startPrism(input, settings, log),
  startEmulated: (input, { settings, log }) => startEmulator(input, settings, log),
  startMoto: (input, { settings, log }) => startMoto(input, settings, log),
  startFakeGcs: (input, { settings, log }) => startFakeGcs(input, settings, log),
};
