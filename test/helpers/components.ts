// Components a test file runs on that npm test does not bring up itself (sandbox tools, shipped packages).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { findSandboxTools } from '../../core/mcp/sandbox.js';
import { PROJECT_ROOT, provisionedTool } from '../../core/paths.js';

/**
 * Whether the file's components are here. Off CI a missing one skips the file, saying which; under CI=true
 * it is an error, so the file fails rather than passing silently.
 */
export function componentsPresent(what: string, missing: string[]): boolean {
  if (missing.length === 0) return true;
  const message = `${what} needs: ${missing.join('; ')}`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`skipping: ${message}`);
  return false;
}

/** What the stdio-server sandbox lacks on this machine (bwrap, prlimit, setpriv, user namespaces). */
export function missingSandboxTools(): string[] {
  const tools = findSandboxTools();
  return 'failures' in tools ? tools.failures : [];
}

/** The npm packages among `names` that are not installed. */
export function missingPackages(...names: string[]): string[] {
  return names
    .filter((n) => !existsSync(path.join(PROJECT_ROOT, 'node_modules', n, 'package.json')))
    .map((n) => `the npm package ${n} (npm install)`);
}

/** The tools among `names` that scripts/provision-tools.sh has not linked into .tools/bin. */
export function missingTools(...names: string[]): string[] {
  return names
    .filter((n) => provisionedTool(n) === undefined)
    .map((n) => `${n} in .tools/bin (bash scripts/provision-tools.sh)`);
}
