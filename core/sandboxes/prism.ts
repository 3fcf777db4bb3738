import { constants, copyFileSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import { badRequest } from '../errors.js';
import type { Logger } from '../log.js';
import { sandboxUser, serverWorkDir, type ProcessLimits, type SandboxSettings } from '../mcp/sandbox.js';
import { packageBin } from '../mcp/stdio-commands.js';
import { PROJECT_ROOT } from '../paths.js';
import { ServiceStartError, startService, type ProcessRecord, type RunningService } from './service-process.js';

/** A mock sandbox's Prism: the spec it serves and the sandbox it runs in. */
export interface PrismInput {
  sandboxId: string;
  orgId: string;
  /** A JSON OpenAPI document on the host (self-contained: assertSelfContainedSpec); Prism gets a copy of it. */
  specPath: string;
  limits: ProcessLimits;
  onRecord?: (record: ProcessRecord) => void | Promise<void>;
  /** Default 60 s. */
  startTimeoutMs?: number;
}

// Inside the sandbox's own network namespace: nothing else listens there.
const PRISM_PORT = 4010;
const DEFAULT_START_TIMEOUT_MS = 60_000;
// Deeper than any real OpenAPI document (stripe.com's is 25).
const MAX_SPEC_DEPTH = 256;
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

/**
 * Refuses (400 spec_external_ref) an OpenAPI document with a `$ref` that leaves it: anything not starting
 * with `#` (a URL, another file). Prism would otherwise fetch or read it; the sandbox has no network, but a
 * target must not depend on one. Nesting deeper than MAX_SPEC_DEPTH is refused too (400 spec_too_deep).
 */
export function assertSelfContainedSpec(doc: unknown): void {
  const stack: Array<{ value: unknown; at: string; depth: number }> = [{ value: doc, at: '', depth: 0 }];
  while (stack.length > 0) {
    const { value, at, depth } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_SPEC_DEPTH)
      throw badRequest('spec_too_deep', `the spec is nested deeper than ${MAX_SPEC_DEPTH} levels (at ${at || '/'})`);
    for (const [key, child] of Object.entries(value)) {
      const where = `${at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (key === '$ref' && typeof child === 'string' && !child.startsWith('#'))
        throw badRequest(
          'spec_external_ref',
          `the spec must be self-contained: $ref ${JSON.stringify(child.slice(0, 200))} at ${where} points outside it (only "#/..." references are allowed)`,
          { at: where },
        );
      stack.push({ value: child, at: where, depth: depth + 1 });
    }
  }
}
