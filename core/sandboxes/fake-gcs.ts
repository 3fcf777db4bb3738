import type { Logger } from '../log.js';
import type { SandboxSettings } from '../mcp/sandbox.js';
import { provisionedTool } from '../paths.js';
import { startService, type RunningService } from './service-process.js';
import { configureService, notProvisioned, toolServiceSpec, type ToolServiceInput } from './tool-service.js';

/** A Google Cloud Storage sandbox's fake-gcs-server: no spec, its sandbox only. */
export type FakeGcsInput = ToolServiceInput;

// Inside the sandbox's own network namespace: nothing else listens there.
const FAKE_GCS_PORT = 4040;
/** The JSON API's bucket list: answers as soon as the server listens. */
export const FAKE_GCS_READY_PATH = '/storage/v1/b';

/** fake-gcs-server's flags (after the listen address): plain HTTP, objects in memory, warnings only. */
export const FAKE_GCS_ARGS = ['-scheme', 'http', '-backend', 'memory', '-log-level', 'warn'];

/**
 * Starts fake-gcs-server (GCS's JSON API, `/storage/v1/...`, uploads at `/upload/storage/v1/...`, and the
 * XML-style `/<bucket>/<object>` downloads) in the stdio-server sandbox (startService). Objects live in its
 * memory, where the sandbox's limits reach them (the filesystem backend would write to a disk nothing limits):
 * GOMEMLIMIT at `limits.memoryMb` is Go's heap goal, soft, so live objects past it are bounded only by the
 * sandbox's RLIMIT_DATA (memoryMb plus the Node forwarder's reserve), past which Go stops with "out of memory".
 * Its URLs name the host's address (configureFakeGcs).
 */
export async function startFakeGcs(
  input: FakeGcsInput,
  settings: SandboxSettings,
  log: Logger,
): Promise<RunningService> {
  const name = `fake-gcs-server ${input.sandboxId}`;
  const binary = provisionedTool('fake-gcs-server');
  if (!binary) throw notProvisioned(name, 'fake-gcs-server');
  const service = await startService(
    {
      ...toolServiceSpec(input, name, { innerPort: FAKE_GCS_PORT, readyPath: FAKE_GCS_READY_PATH }),
      command: binary,
      args: ['-host', '127.0.0.1', '-port', String(FAKE_GCS_PORT), ...FAKE_GCS_ARGS],
      env: { GOMEMLIMIT: `${input.limits.memoryMb}MiB` },
    },
    settings,
    log,
  );
  return configureFakeGcs(name, service);
}

/**
 * Points what fake-gcs-server writes into its answers at the address the host reaches it on (its runtime
 * config, `PUT /_internal/config`; the -external-url and -public-host flags would need the port before it
 * starts, which the bridge or the engine picks): the external URL heads every `selfLink`, `mediaLink` and a
 * resumable upload's `Location`, and the public host is the Host its `/<bucket>/<object>` downloads answer to.
 */
export function configureFakeGcs(name: string, service: RunningService): Promise<RunningService> {
  return configureService(
    name,
    service,
    { method: 'PUT', path: '/_internal/config' },
    { externalUrl: service.url, publicHost: new URL(service.url).host },
  );
}
