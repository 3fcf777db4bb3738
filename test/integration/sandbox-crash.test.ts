// A worker SIGKILLed while it provisions or hosts a sandbox: the sandbox's process dies with it, the
// workflow notices the lost host (heartbeat timeout), fails the sandbox naming why, and another worker's
// teardown and reconciler leave no process, no database, no server behind. Real `npm run worker` processes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnWorkerProcess, startPlatform, userWithRole } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

let platform: Awaited<ReturnType<typeof startPlatform>>;
let org: Awaited<ReturnType<typeof createOrg>>;
let developer: string;
let agentId: string;
const workers: ReturnType<typeof spawnWorkerProcess>[] = [];

beforeAll(async () => {
  platform = await startPlatform({ worker: 'none' });
  org = await createOrg(platform.db, 'sandbox-crash');
  developer = (await userWithRole(platform.db, org.org.id, 'developer')).key;
  const agent = await call(`${platform.url}/v1/agents`, {
    method: 'POST',
    key: org.adminKey,
    json: { name: 'crash-agent', capabilities: [] },
  });
  expect(agent.status, agent.text).toBe(201);
  agentId = agent.json.id;
}, 120_000);
afterAll(async () => {
  for (const w of workers) w.child.kill('SIGKILL');
  await platform?.stop();
});

async function worker() {
  const w = spawnWorkerProcess(platform.taskQueue);
  workers.push(w);
  await w.ready;
  return w;
}

const row = (id: string) => platform.db('sandboxes').where({ id }).first();
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('a worker killed under a sandbox', () => {
  for (const when of ['while it provisions', 'while it runs'] as const) {
    it(`fails the sandbox and cleans up everything when killed ${when}`, async () => {
      // One worker at a time: the one killed must be the one hosting.
      for (const w of workers.splice(0)) {
        w.child.kill('SIGTERM');
        await w.exited;
      }
      const first = await worker();
      const created = await call(`${platform.url}/v1/agents/${agentId}/sandboxes`, {
        method: 'POST',
        key: developer,
        json: { target: when === 'while it runs' ? 'collexa-test' : 'stripe.com', mode: 'emulated' },
      });
      expect(created.status, created.text).toBe(201);
      const id = created.json.id as string;
      // Provisioning: its process was spawned (recorded) but it is not running yet; running: it answers.
      const held = await waitFor(
        () => row(id),
        (r) => r.resources.process !== undefined && (when === 'while it runs' ? r.status === 'running' : true),
        { what: `the sandbox's process (${when})`, timeoutMs: 90_000, intervalMs: 20 },
      );
      if (when === 'while it provisions') expect(held.status).toBe('provisioning');
      const pid = held.resources.process.pid as number;
      first.child.kill('SIGKILL');
      await first.exited;
      await waitFor(
        async () => alive(pid),
        (a) => !a,
        { what: 'the sandbox process to die with its worker' },
      );
      await worker();
      const ended = await waitFor(
        () => row(id),
        (r) => ['failed', 'stopped', 'expired'].includes(r.status),
        { what: 'the sandbox to end', timeoutMs: 90_000 },
      );
      expect(ended.status).toBe('failed');
      expect(ended.reason).toMatch(/worker hosting the sandbox was lost|exited/);
      await waitFor(
        () => row(id),
        (r) => Object.keys(r.resources).length === 0,
        { what: 'the reconciler or teardown to clear what it held', timeoutMs: 90_000 },
      );
      const dbs = await platform.db.raw('select datname from pg_database where datname = ?', [
        `sbx_${id.replace(/-/g, '')}`,
      ]);
      expect(dbs.rows).toEqual([]);
      expect(await platform.db('mcp_servers').where({ sandbox_id: id })).toEqual([]);
    }, 240_000);
  }
});
