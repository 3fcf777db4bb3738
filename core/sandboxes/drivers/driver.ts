import type { SandboxSettings } from '../../mcp/sandbox.js';
import type { Logger } from '../../log.js';
import type { EmulatorInput } from '../emulator-service.js';
import type { FakeGcsInput } from '../fake-gcs.js';
import type { MotoInput } from '../moto.js';
import type { PrismInput } from '../prism.js';
import type { RunningService } from '../service-process.js';

/** What a driver needs besides a sandbox's own input: the stdio servers' sandbox settings and the log. */
export interface DriverContext {
  settings: SandboxSettings;
  log: Logger;
}

/**
 * How a sandbox's service runs (SANDBOX_DRIVER): a sandboxed process of this host
 * (processDriver) or a container of a Docker engine (dockerDriver). Either answers a RunningService on
 * `http://127.0.0.1:<port>` whose record the reconciler can remove, and throws ServiceStartError when the
 * service does not come up.
 */
export interface SandboxDriver {
  readonly name: 'process' | 'docker';
  startMock(input: PrismInput, ctx: DriverContext): Promise<RunningService>;
  startEmulated(input: EmulatorInput, ctx: DriverContext): Promise<RunningService>;
  /** moto in server mode: the AWS APIs (S3, EC2, Lambda, ...) at one endpoint. */
  startMoto(input: MotoInput, ctx: DriverContext): Promise<RunningService>;
  /** fake-gcs-server: Google Cloud Storage's JSON API. */
  startFakeGcs(input: FakeGcsInput, ctx: DriverContext): Promise<RunningService>;
}
