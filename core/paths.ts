import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute paths of the project's folders, resolved from this file so every entry point agrees. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'migrations');
export const WORKFLOWS_ENTRY = path.join(PROJECT_ROOT, 'workflows', 'index.ts');
export const TOOLS_BIN = path.join(PROJECT_ROOT, '.tools', 'bin');
