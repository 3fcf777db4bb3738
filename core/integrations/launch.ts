import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../paths.js';
import type { IntegrationSpec } from './integration.js';
import type { IntegrationSettings } from './server/handler.js';

const INTEGRATIONS_DIR = path.join(PROJECT_ROOT, 'core', 'integrations');
const SERVER_MAIN = path.join(INTEGRATIONS_DIR, 'server', 'main.ts');
// By URL: the server's cwd is its own work dir, where a bare `--import tsx` would not resolve.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** An integration server's process: the runtime on server/main.ts, with only Collexa's code it imports bound. */
export interface IntegrationLaunch {
  command: string;
  args: string[];
  env: Record<string, string>;
  shippedFiles: string[];
}

/**
 * How the worker starts an integration's MCP server. `credentials` is the env value the worker gives it:
 * a `secret:NAME` reference (resolved when it connects, like any server's env) or a sandbox's stand-in.
 */
export function integrationLaunch(settings: IntegrationSettings, credentials: string | undefined): IntegrationLaunch {
  const env: Record<string, string> = { COLLEXA_INTEGRATION: JSON.stringify(settings) };
  if (credentials !== undefined) env.COLLEXA_CREDENTIALS = credentials;
  return {
    command: process.execPath,
    args: ['--import', TSX, SERVER_MAIN],
    env,
    // The integrations folder and the one file of core/ outside it the server imports.
    shippedFiles: [INTEGRATIONS_DIR, path.join(PROJECT_ROOT, 'core', 'secrets', 'redact.ts')],
  };
}

/** The tools a server of `spec` serves: those named, else its default set, else all. */
export function servedTools(spec: IntegrationSpec, named: string[] | undefined): string[] {
  return named ?? spec.defaultTools ?? spec.tools.map((t) => t.name);
}
