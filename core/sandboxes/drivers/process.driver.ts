import { startEmulator } from '../emulator-service.js';
import { startPrism } from '../prism.js';
import type { SandboxDriver } from './driver.js';

/** The embedded default: Prism and the emulator as processes in the stdio servers' sandbox. */
export const processDriver: SandboxDriver = {
  name: 'process',
  startMock: (input, { settings, log }) => startPrism(input, settings, log),
  startEmulated: (input, { settings, log }) => startEmulator(input, settings, log),
};
