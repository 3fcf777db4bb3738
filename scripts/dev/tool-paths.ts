import { existsSync } from 'node:fs';
import path from 'node:path';
import { TOOLS_BIN } from '../../core/paths.js';

/** Path of a tool linked by scripts/provision-tools.sh, or a clear error saying how to get it. */
export function toolPath(name: 'temporal' | 'temporal-test-server' | 'opa' | 'stripe-mock'): string {
  const p = path.join(TOOLS_BIN, name);
  if (!existsSync(p))
    throw new Error(
      `${name} is not provisioned: run "bash scripts/provision-tools.sh" (npm start and npm test run it for you)`,
    );
  return p;
}
