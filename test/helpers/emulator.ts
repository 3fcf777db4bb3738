// The emulator process as the tests run it: directly (not sandboxed), against the run's PostgreSQL.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';
import { emulatorLaunch } from '../../core/sandboxes/emulator/launch.js';
import { EmulatorStore, type EmulatorDatabase } from '../../core/sandboxes/emulator/store.js';
import { PROJECT_ROOT } from '../../core/paths.js';

export const COLLEXA_TEST_SPEC = path.join(PROJECT_ROOT, 'core', 'sandboxes', 'specs', 'collexa-test.json');

/** Host and port of the run's PostgreSQL. */
export function pgAddress(): { host: string; port: number } {
  const url = new URL(inject('databaseUrl'));
  return { host: url.hostname, port: Number(url.port) };
}

/** A spec written to a file of the run's temp dir, for the emulator to read. */
export function specFile(spec: object): string {
  const dir = mkdtempSync(path.join(inject('runDir'), 'spec-'));
  const file = path.join(dir, 'spec.json');
  writeFileSync(file, JSON.stringify(spec));
  return file;
}

export interface EmulatorProcess {
  url: string;
  pid: number;
  stderr: () => string;
  stop(): Promise<void>;
}

/** Starts the emulator on a free port and resolves once it prints that it listens. */
export function startEmulatorProcess(
  db: EmulatorDatabase,
  specPath: string,
  limits?: Parameters<typeof emulatorLaunch>[0]['limits'],
): Promise<EmulatorProcess> {
  const launch = emulatorLaunch({ specPath, port: 0, db, pg: pgAddress(), ...(limits ? { limits } : {}) });
  const child = spawn(launch.command, launch.args, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...launch.env },
    cwd: path.dirname(specPath),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the emulator did not listen in 20 s\n${stdout}\n${stderr}`));
    }, 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the emulator exited (${code}) before listening\n${stdout}\n${stderr}`));
    });
    child.stdout.on('data', (d) => {
      stdout += d;
      const line = stdout.split('\n').find((l) => l.includes('"listening"'));
      if (!line) return;
      clearTimeout(timer);
      const { port } = JSON.parse(line) as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}`,
        pid: child.pid!,
        stderr: () => stderr,
        async stop() {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
  });
}

/**
 * Emulators on spec files (a shipped description), each on a database of its own: `start` answers the
 * emulator's URL, `stopAll` (a test file's afterAll) stops them and drops their databases.
 */
export function emulatorsOnFiles(): { start(specPath: string): Promise<string>; stopAll(): Promise<void> } {
  const store = () => new EmulatorStore({ databaseUrl: inject('databaseUrl') });
  const running: Array<{ id: string; emulator: EmulatorProcess }> = [];
  return {
    async start(specPath) {
      const id = randomUUID();
      const db = await store().create(id, JSON.parse(readFileSync(specPath, 'utf8')));
      const emulator = await startEmulatorProcess(db, specPath);
      running.push({ id, emulator });
      return emulator.url;
    },
    async stopAll() {
      for (const { id, emulator } of running.splice(0)) {
        await emulator.stop();
        await store().drop(id);
      }
    },
  };
}
