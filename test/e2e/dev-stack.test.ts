// `npm start` as a user runs it: the whole platform from scripts/start.ts on its own ports and data dir.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MasterKeyring } from '../../core/crypto/master-key.js';
import { PROJECT_ROOT } from '../../core/paths.js';
import { createDataConverter } from '../../core/temporal/data-converter.js';
import { freePort } from '../../scripts/dev/processes.js';
import { call } from '../helpers/stack.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'collexa-e2e-'));
let env: NodeJS.ProcessEnv;
let ports: { api: number; temporal: number; ui: number; pg: number; stripe: number };
let pendingWorkflowId: string;

beforeAll(async () => {
  ports = {
    api: await freePort(),
    temporal: await freePort(),
    ui: await freePort(),
    pg: await freePort(),
    stripe: await freePort(),
  };
  env = {
    ...process.env,
    PORT: String(ports.api),
    TEMPORAL_DEV_PORT: String(ports.temporal),
    TEMPORAL_UI_PORT: String(ports.ui),
    EMBEDDED_PG_PORT: String(ports.pg),
    STRIPE_MOCK_PORT: String(ports.stripe),
    COLLEXA_DATA_DIR: dataDir,
  };
  delete env.DATABASE_URL;
  delete env.TEMPORAL_ADDRESS;
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** The stack encrypts payloads with the master key it generated in its data dir. */
function devDataConverter() {
  return createDataConverter(MasterKeyring.fromBase64(readFileSync(path.join(dataDir, 'master.key'), 'utf8')));
}

function start(): { child: ChildProcess; output: () => string; ready: Promise<void>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'scripts/start.ts')], {
    env,
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      if (out.includes('Ctrl-C stops everything')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exit.then((code) => reject(new Error(`npm start exited (${code}) before ready:\n${out}`)));
  });
  return { child, output: () => out, ready, exit };
}

/** Processes whose command line mentions this test's data dir or ports (what must not outlive the stack). */
function leftovers(): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).split('\n');
  return ps.filter(
    (l) => l.includes(dataDir) || l.includes(`--port ${ports.temporal}`) || l.includes(`-p ${ports.pg}`),
  );
}

describe('npm start (scripts/start.ts)', () => {
  it('reaches ready, serves the API and the Temporal UI, and Ctrl-C leaves nothing running', async () => {
    const run = start();
    await run.ready;
    const out = run.output();
    expect(out).toContain(`http://localhost:${ports.api}`);
    expect(out).toContain(`http://localhost:${ports.ui}`);
    const creds = JSON.parse(readFileSync(path.join(dataDir, 'dev-credentials.json'), 'utf8'));
    expect(out).toContain(creds.adminKey);
    expect(out).toContain(creds.approverKey);

    const api = `http://127.0.0.1:${ports.api}`;
    expect((await call(`${api}/readyz`)).status).toBe(200);
    expect((await call(`${api}/v1/me`, { key: creds.adminKey })).json.user.role).toBe('admin');
    expect((await call(`${api}/v1/me`, { key: creds.approverKey })).json.user.role).toBe('approver');
    expect((await fetch(`http://127.0.0.1:${ports.ui}/`)).status).toBe(200);

    // A workflow due to start after the stack stops: it must survive the restart and then run.
    const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
    pendingWorkflowId = `ping-${creds.orgId}-restart`;
    await new Client({ connection, dataConverter: devDataConverter() }).workflow.start('pingWorkflow', {
      taskQueue: 'collexa',
      workflowId: pendingWorkflowId,
      args: [{ orgId: creds.orgId, message: 'after restart' }],
      startDelay: '3 seconds',
    });
    await connection.close();

    const t0 = Date.now();
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(leftovers()).toEqual([]);
  }, 120_000);

  it('keeps its data across restarts: same demo org and keys, no re-seed', async () => {
    const before = JSON.parse(readFileSync(path.join(dataDir, 'dev-credentials.json'), 'utf8'));
    const run = start();
    await run.ready;
    expect(run.output()).not.toContain('seeded demo org');
    expect(run.output()).toContain('migrations up to date');
    const me = await call(`http://127.0.0.1:${ports.api}/v1/me`, { key: before.adminKey });
    expect(me.json.org.id).toBe(before.orgId);
    const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
    const result = await new Client({ connection, dataConverter: devDataConverter() }).workflow
      .getHandle(pendingWorkflowId)
      .result();
    await connection.close();
    expect(result).toMatchObject({ echo: 'after restart' });
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    expect(leftovers()).toEqual([]);
  }, 120_000);

  it('refuses to start when a port is busy, naming it, and exits non-zero', async () => {
    const blocker = net.createServer().listen(ports.api, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    try {
      const run = start();
      run.ready.catch(() => undefined);
      expect(await run.exit).toBe(1);
      expect(run.output()).toContain(`port ${ports.api} is busy (PORT, the API)`);
      expect(leftovers()).toEqual([]);
    } finally {
      blocker.close();
    }
  }, 60_000);
});
