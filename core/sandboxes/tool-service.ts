import type { ProcessLimits } from '../mcp/sandbox.js';
import { ServiceStartError, type ProcessRecord, type RunningService, type ServiceSpec } from './service-process.js';

/** A sandbox's emulator of a whole cloud API (moto, fake-gcs-server): it needs no spec, only its sandbox. */
export interface ToolServiceInput {
  sandboxId: string;
  orgId: string;
  limits: ProcessLimits;
  onRecord?: (record: ProcessRecord) => void | Promise<void>;
  /** Default 60 s. */
  startTimeoutMs?: number;
}

const TOOL_START_TIMEOUT_MS = 60_000;
const CONFIGURE_TIMEOUT_MS = 10_000;

/** What a tool's ServiceSpec takes from its input: the sandbox, its limits, the port and path it answers on. */
export function toolServiceSpec(
  input: ToolServiceInput,
  name: string,
  at: { innerPort: number; readyPath: string },
): Omit<ServiceSpec, 'command' | 'args' | 'env'> {
  return {
    id: input.sandboxId,
    orgId: input.orgId,
    name,
    innerPort: at.innerPort,
    readablePaths: [],
    limits: input.limits,
    readyPath: at.readyPath,
    startTimeoutMs: input.startTimeoutMs ?? TOOL_START_TIMEOUT_MS,
    ...(input.onRecord ? { onRecord: input.onRecord } : {}),
  };
}

/** The refusal for a tool scripts/provision-tools.sh did not link into .tools/bin. */
export function notProvisioned(serviceName: string, tool: string): ServiceStartError {
  return new ServiceStartError(
    serviceName,
    `${serviceName} was not started: ${tool} is not provisioned (run \`npm run tools\`, which links it into .tools/bin)`,
    '',
  );
}

/**
 * Sends the settings a service needs before anyone uses it (`body` as JSON to `route`), on either driver. A
 * service that does not take them is stopped, and the start fails: nobody has its URL yet.
 */
export async function configureService(
  serviceName: string,
  service: RunningService,
  route: { method: 'POST' | 'PUT'; path: string },
  body: unknown,
): Promise<RunningService> {
  try {
    const res = await fetch(`${service.url}${route.path}`, {
      method: route.method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(CONFIGURE_TIMEOUT_MS),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${route.method} ${route.path} answered ${res.status}: ${text.slice(0, 500)}`);
    return service;
  } catch (err) {
    await service.stop();
    throw new ServiceStartError(
      serviceName,
      `sandbox service ${serviceName} was stopped: configuring it failed (${(err as Error).message})`,
      '',
      { cause: err },
    );
  }
}
