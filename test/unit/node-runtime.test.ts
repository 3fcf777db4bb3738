import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../core/paths.js';

const LIB = path.join(PROJECT_ROOT, 'scripts', 'node-runtime.sh');
const WITH_NODE = path.join(PROJECT_ROOT, 'scripts', 'with-node.sh');
const engines = (
  JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }
).engines;

/** Runs `snippet` in bash with scripts/node-runtime.sh sourced; its stdout, trimmed. */
function lib(snippet: string): string {
  return execFileSync(
    'bash',
    ['-c', `set -euo pipefail; ROOT=${JSON.stringify(PROJECT_ROOT)}; . ${JSON.stringify(LIB)}; ${snippet}`],
    { encoding: 'utf8' },
  ).trim();
}

describe('the Node the project runs on', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('is one that satisfies engines.node: npm test runs vitest through scripts/with-node.sh', () => {
    const min = lib('node_min');
    expect(`>=${min}`).toBe(engines.node);
    // Printed so a CI log shows which Node ran the tests (the system's may be older: then .tools/node's).
    console.log(`tests run on Node ${process.version} (${process.execPath})`);
    expect(lib(`version_ge ${process.version} ${min} && echo yes || echo no`)).toBe('yes');
  });

  it('compares versions part by part, missing parts as 0', () => {
    const cases: [string, string, boolean][] = [
      ['v24.21.0', '22.12', true],
      ['v22.12.0', '22.12', true],
      ['v22.11.9', '22.12', false],
      ['v20.20.2', '22.12', false],
      ['v23.0.0', '22.12', true],
      ['v22.12.0-rc.1', '22.12.0', true],
      ['v100.0.0', '22.12', true],
    ];
    for (const [have, min, ok] of cases)
      expect(lib(`version_ge ${have} ${min} && echo yes || echo no`), `${have} >= ${min}`).toBe(ok ? 'yes' : 'no');
  });

  it('with-node.sh runs the command as it is when the node on PATH is new enough', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'with-node-'));
    dirs.push(dir);
    const fake = path.join(dir, 'node');
    writeFileSync(fake, '#!/bin/sh\necho "v22.12.0 (fake $*)"\n');
    chmodSync(fake, 0o755);
    const out = execFileSync('bash', [WITH_NODE, 'node', '-v'], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` },
    });
    expect(out.trim()).toBe('v22.12.0 (fake -v)');
  });
});
