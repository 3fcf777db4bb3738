import { createHash } from 'node:crypto';
import path from 'node:path';
import { PROJECT_ROOT } from '../paths.js';

/** The compiled policy bundle's layout and identity, shared by its build script and the engine that loads it. */
export const POLICY_ENTRYPOINTS = ['collexa/authz/invoke/decision', 'collexa/authz/approve/decision'] as const;
export type PolicyEntrypoint = (typeof POLICY_ENTRYPOINTS)[number];

export const POLICY_WASM_FILE = 'policy.wasm';
export const POLICY_DATA_FILE = 'data.json';
export const POLICY_MANIFEST_FILE = 'manifest.json';

/** Where `npm run build:policies` writes the bundle when POLICY_DIR (read by core/config.ts) is unset. */
export const DEFAULT_POLICY_DIR = path.join(PROJECT_ROOT, 'dist', 'policy');

/** `sha256:` + 16 hex chars over the compiled policy and its data: what audit rows record as the policy version. */
export function policyVersion(wasm: Uint8Array, data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(wasm).update(data).digest('hex').slice(0, 16)}`;
}
