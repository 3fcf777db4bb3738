import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute paths of the project's folders, resolved from this file so every entry point agrees. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'migrations');
export const WORKFLOWS_ENTRY = path.join(PROJECT_ROOT, 'workflows', 'index.ts');
export const TOOLS_BIN = path.join(PROJECT_ROOT, '.tools', 'bin');

/** A tool scripts/provision-tools.sh linked into .tools/bin, by its real path; undefined when it is not there. */
export function provisionedTool(name: string): string | undefined {
  const link = path.join(TOOLS_BIN, name);
  return existsSync(link) ? realpathSync(link) : undefined;
}
