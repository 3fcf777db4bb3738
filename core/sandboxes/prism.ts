import { constants, copyFileSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.js';
import { sandboxUser, serverWorkDir, type ProcessLimits, type SandboxSettings } from '../mcp/sandbox.js';
import { packageBin } from '../mcp/stdio-commands.js';
import { PROJECT_ROOT } from '../paths.js';
import { ServiceStartError, startService, type ProcessRecord, type RunningService } from './service-process.js';

/** A mock sandbox's Prism: the spec it serves and the sandbox it runs in. */
export interface PrismInput {
  sandboxId: string;
  orgId: string;
  /** A JSON OpenAPI document on the host (self-contained: targets/spec-document.ts checked it); Prism gets a copy of it. */
  specPath: string;
  limits: ProcessLimits;
  onRecord?: (record: ProcessRecord) => void | Promise<void>;
  /** Default 60 s. */
  startTimeoutMs?: number;
}

// Inside the sandbox's own network namespace: nothing else listens there.
const PRISM_PORT = 4010;
const DEFAULT_START_TIMEOUT_MS = 60_000;
const PRISM_SERVER = path.join(PROJECT_ROOT, 'core', 'sandboxes', 'prism-server.mjs');

/**
 * Starts Stoplight Prism's mock server on a copy of the spec (a JSON OpenAPI 3 or Swagger 2 document) in the
 * stdio-server sandbox (startService), configured as `prism mock --errors`: static examples (the spec's own,
 * else built from its schemas; not `--dynamic`, so answers are deterministic), and a 4xx/422 naming the
 * violation for a request that breaks the spec. prism-server.mjs loads the operations instead of the CLI,
 * whose loader does not finish large specs (see there).
 */
export async function startPrism(input: PrismInput, settings: SandboxSettings, log: Logger): Promise<RunningService> {
  const name = `prism ${input.sandboxId}`;
  if (!packageBin('@stoplight/prism-cli'))
    throw new ServiceStartError(name, `${name} was not started: @stoplight/prism-cli is not installed`, '');
  if (!/\.json$/i.test(input.specPath))
    throw new ServiceStartError(name, `${name} was not started: it serves JSON specs (${input.specPath})`, '');
  // Its own dir holds its copy: the sandbox sees no host path of the spec's. Copied before it runs, and
  // exclusively (a name the sandbox left there as a symlink is removed, never written through).
  const workDir = serverWorkDir(settings.workRoot, input.sandboxId, sandboxUser(input.orgId, settings));
  const spec = path.join(workDir, 'spec.json');
  rmSync(spec, { force: true });
  copyFileSync(input.specPath, spec, constants.COPYFILE_EXCL);
  return startService(
    {
      id: input.sandboxId,
      orgId: input.orgId,
      name,
      command: realpathSync(process.execPath),
      // The memory limit as the heap limit: V8 collects against it and stops with an out-of-memory error past
      // it; RLIMIT_DATA (memoryMb plus the runtime's reserve) stays the backstop.
      args: [`--max-old-space-size=${input.limits.memoryMb}`, PRISM_SERVER, spec, String(PRISM_PORT)],
      env: {},
      innerPort: PRISM_PORT,
      readablePaths: [],
      shippedFiles: [PRISM_SERVER],
      limits: input.limits,
      startTimeoutMs: input.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
      ...(input.onRecord ? { onRecord: input.onRecord } : {}),
    },
    settings,
    log,
  );
}
