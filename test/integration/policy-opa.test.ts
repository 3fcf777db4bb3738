import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../core/paths.js';
import { toolPath } from '../../scripts/dev/tool-paths.js';

const run = promisify(execFile);
const opa = (...args: string[]) => run(toolPath('opa'), args, { cwd: PROJECT_ROOT });

describe('policies/ under opa', () => {
  it('is formatted as `opa fmt` writes it', async () => {
    // --fail exits 2 and -l names the files when anything would change.
    await expect(opa('fmt', '--fail', '-l', 'policies')).resolves.toMatchObject({ stdout: '' });
  });

  it('passes its Rego tests', async () => {
    const { stdout } = await opa('test', 'policies');
    expect(stdout).toMatch(/^PASS: \d+\/\d+$/m);
  });

  it('passes strict checks', async () => {
    await expect(opa('check', '--strict', 'policies')).resolves.toBeDefined();
  });
});
