// Compiles policies/ (Rego) into the WASM bundle core/policy/engine.ts loads. Run: npm run build:policies [-- --force]
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../core/paths.js';
import {
  POLICY_DATA_FILE,
  POLICY_ENTRYPOINTS,
  POLICY_MANIFEST_FILE,
  POLICY_WASM_FILE,
  DEFAULT_POLICY_DIR,
  policyVersion,
} from '../../core/policy/bundle.js';
import { configOrExit } from '../entry.js';
import { toolPath } from '../dev/tool-paths.js';

const run = promisify(execFile);
const SOURCES_FILE = 'sources.sha256';
// Tests are checked by `opa test`, not shipped: a test file never changes or breaks the bundle.
const isSource = (name: string) => (name.endsWith('.rego') && !name.endsWith('_test.rego')) || name === 'data.json';

/** Options of buildPolicies; every one defaults to the checkout's own layout. */
export interface BuildPoliciesOptions {
  /** Where the bundle goes (default: dist/policy). */
  outDir?: string;
  /** The Rego sources (default: policies/). */
  policiesDir?: string;
  /** Rebuild even when the sources are unchanged. */
  force?: boolean;
}

/** Builds the policy bundle into outDir, skipping the build when the sources are unchanged since the last one there. */
export async function buildPolicies(
  opts: BuildPoliciesOptions = {},
): Promise<{ outDir: string; version: string; rebuilt: boolean }> {
  const outDir = path.resolve(opts.outDir ?? DEFAULT_POLICY_DIR);
  const policiesDir = path.resolve(opts.policiesDir ?? path.join(PROJECT_ROOT, 'policies'));
  const sources = await sourcesHash(policiesDir);
  if (!opts.force && (await isFresh(outDir, sources))) {
    const [wasm, data] = await Promise.all([
      readFile(path.join(outDir, POLICY_WASM_FILE)),
      readFile(path.join(outDir, POLICY_DATA_FILE)),
    ]);
    return { outDir, version: policyVersion(wasm, data), rebuilt: false };
  }

  const work = await mkdtemp(path.join(tmpdir(), 'collexa-policy-'));
  try {
    const bundle = path.join(work, 'bundle.tar.gz');
    const entrypoints = POLICY_ENTRYPOINTS.flatMap((e) => ['-e', e]);
    await exec(
      toolPath('opa'),
      ['build', '-t', 'wasm', '--ignore', '*_test.rego', ...entrypoints, '-o', bundle, policiesDir],
      'opa build',
    );
    await exec('tar', ['-xzf', bundle, '-C', work, `/${POLICY_WASM_FILE}`, `/${POLICY_DATA_FILE}`], 'tar -xzf');
    const [wasm, data] = await Promise.all([
      readFile(path.join(work, POLICY_WASM_FILE)),
      readFile(path.join(work, POLICY_DATA_FILE)),
    ]);
    const version = policyVersion(wasm, data);
    const manifest = { version, entrypoints: [...POLICY_ENTRYPOINTS], builtAt: new Date().toISOString() };

    await mkdir(outDir, { recursive: true });
    await writeAtomic(path.join(outDir, POLICY_WASM_FILE), wasm);
    await writeAtomic(path.join(outDir, POLICY_DATA_FILE), data);
    await writeAtomic(path.join(outDir, POLICY_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    // Last, so a build cut short is never mistaken for a fresh one.
    await writeAtomic(path.join(outDir, SOURCES_FILE), `${sources}\n`);
    return { outDir, version, rebuilt: true };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function exec(file: string, args: string[], what: string): Promise<void> {
  try {
    await run(file, args, { cwd: PROJECT_ROOT, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as Error & { stderr?: string; stdout?: string };
    const detail = (e.stderr || e.stdout || e.message).trim();
    throw new Error(`${what} failed: ${detail}`, { cause: err });
  }
}

/** sha256 over every shipped source under policiesDir (relative path and bytes, sorted by path) and the entrypoints. */
async function sourcesHash(policiesDir: string): Promise<string> {
  const files = (await readdir(policiesDir, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile() && isSource(d.name))
    .map((d) => path.relative(policiesDir, path.join(d.parentPath, d.name)).split(path.sep).join('/'))
    .sort();
  const hash = createHash('sha256').update(`entrypoints:${POLICY_ENTRYPOINTS.join(',')}\0`);
  for (const rel of files)
    hash
      .update(`${rel}\0`)
      .update(await readFile(path.join(policiesDir, rel)))
      .update('\0');
  return hash.digest('hex');
}

async function isFresh(outDir: string, sources: string): Promise<boolean> {
  if (![POLICY_WASM_FILE, POLICY_DATA_FILE, POLICY_MANIFEST_FILE].every((f) => existsSync(path.join(outDir, f))))
    return false;
  const recorded = await readFile(path.join(outDir, SOURCES_FILE), 'utf8').catch(() => '');
  return recorded.trim() === sources;
}

// A loading engine never sees a half-written file.
async function writeAtomic(file: string, content: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  // As a command it writes where the worker will look: config's policyDir (POLICY_DIR, else dist/policy).
  buildPolicies({ outDir: configOrExit().policyDir, force: process.argv.includes('--force') }).then(
    ({ outDir, version, rebuilt }) => {
      const where = path.relative(process.cwd(), outDir) || '.';
      console.log(`[policy] ${rebuilt ? 'built' : 'up to date'} ${version} in ${where} (${Date.now() - started} ms)`);
    },
    (err: unknown) => {
      console.error(`[policy] ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
