#!/usr/bin/env node
// The `collexa` command: registers tsx so the TypeScript CLI runs straight from source.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Started by a Node older than engines.node (the bin run by an old system Node): run again under the Node
// scripts/with-node.sh picks (provisioned into .tools/node if need be), as `npm run cli` does.
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const min = (/^>=\s*([\d.]+)$/.exec(pkg.engines.node)?.[1] ?? '0').split('.').map(Number);
const have = process.versions.node.split('.').map(Number);
const first = min.findIndex((m, i) => (have[i] ?? 0) !== m); // the first part that differs
if (first >= 0 && (have[first] ?? 0) < min[first]) {
  const withNode = fileURLToPath(new URL('./with-node.sh', import.meta.url));
  const run = spawnSync('bash', [withNode, 'node', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(run.status ?? 1);
}
const { register } = await import('tsx/esm/api');
register();
await import('./cli/main.ts');
