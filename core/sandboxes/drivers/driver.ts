import type { SandboxSettings } from '../../mcp/sandbox.js';
import type { Logger } from '../../log.js';
import type { EmulatorInput } from '../emulator-service.js';
import type { PrismInput } from '../prism.js';
import type { ProcessLimits } from '../../mcp/sandbox.js';
import type { ProcessRecord, RunningService } from '../service-process.js';

/** What a driver needs besides a sandbox's own input: the stdio servers' sandbox settings and the log. */
export interface DriverContext {
  settings: SandboxSettings;
  log: Logger;
}

/**
 * How a mock or emulated sandbox's service runs (SANDBOX_DRIVER): a sandboxed process of this host
 * (processDriver) or a container of a Docker engine (dockerDriver). Either answers a RunningService on
 * `http://127.0.0.1:<port>` whose record the reconciler can remove, and throws ServiceStartError when the
 * service does not come up.
 */
export interface SandboxDriver {
  readonly name: 'process' | 'docker';
  startMock(input: PrismInput, ctx: DriverContext): Promise<RunningService>;
  startEmulated(input: EmulatorInput, ctx: DriverContext): Promise<RunningService>;
  /** moto in server mode (AWS EC2, S3, Lambda). */
  startMoto(input: NativeServiceInput, ctx: DriverContext): Promise<RunningService>;
  /** fake-gcs-server (Google Cloud Storage). */
  startFakeGcs(input: NativeServiceInput, ctx: DriverContext): Promise<RunningService>;
}

/** A native emulator's input: no description, its own work-dir id, the org's sandbox and limits. */
export interface NativeServiceInput {
  sandboxId: string;
  orgId: string;
  limits: ProcessLimits;
  onRecord?: (record: ProcessRecord) => void | Promise<void>;
  startTimeoutMs?: number;
}
