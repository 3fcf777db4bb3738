// Brings up one real Temporal dev server, one real PostgreSQL and one stripe-mock per test run, with the same code
// `npm start` uses, and builds the workflow bundle once. A missing component fails the run.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startRunStack } from '../scripts/dev/run-stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    databaseUrl: string;
    pgPort: number;
    workflowBundlePath: string;
    runDir: string;
    policyDir: string;
    stripeApiBase: string;
  }
}

export default async function setup(project: TestProject) {
  const runDir = mkdtempSync(path.join(tmpdir(), 'collexa-test-'));
  // Sandboxed MCP servers run as an unprivileged uid that must be able to walk into their dirs here.
  chmodSync(runDir, 0o711);
  const stack = await startRunStack(runDir, 'collexa_test');
  const workflowBundlePath = path.join(runDir, 'workflow-bundle.js');
  writeFileSync(workflowBundlePath, stack.workflowBundle.code);

  project.provide('temporalAddress', stack.temporalAddress);
  project.provide('databaseUrl', stack.databaseUrl);
  project.provide('pgPort', stack.pgPort);
  project.provide('workflowBundlePath', workflowBundlePath);
  project.provide('runDir', runDir);
  project.provide('policyDir', stack.policyDir);
  project.provide('stripeApiBase', stack.stripeApiBase);

  return async () => {
    await stack.stop();
    rmSync(runDir, { recursive: true, force: true });
  };
}
