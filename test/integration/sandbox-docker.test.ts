// The container driver (SANDBOX_DRIVER=docker) on a real engine: Prism's image and the emulator in a Node
// image against the run's PostgreSQL. Without a reachable engine the file skips, saying why: the one suite
// allowed to skip under CI=true (CI machines have no Docker engine).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { dockerDriver } from '../../core/sandboxes/drivers/docker.driver.js';
import { parseSpec } from '../../core/sandboxes/emulator/openapi.js';
import { EmulatorStore } from '../../core/sandboxes/emulator/store.js';
import type { RunningService } from '../../core/sandboxes/service-process.js';
import { COLLEXA_TEST_SPEC, pgAddress } from '../helpers/emulator.js';
import { call, testLogger } from '../helpers/stack.js';

async function engine(): Promise<string | undefined> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
const missing = await engine();
if (missing) console.warn(`Docker driver tests skipped: no container engine reachable (${missing})`);

const ORG = '66666666-6666-4666-8666-666666666666';
const limits = { memoryMb: 256, cpuSeconds: 300, maxProcesses: 256, maxOpenFiles: 256 };
const ctx = {
  settings: { workRoot: '/nonexistent', workspaceRoot: '/nonexistent', readPaths: [], uidBase: 200_000 },
  log: testLogger,
};

/** Whether the engine still has the container a service's record names. */
async function containerExists(service: RunningService): Promise<boolean> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  const client = await getContainerRuntimeClient();
  const id = service.record.hostId.replace(/^docker:/, '');
  return client.container.inspect(client.container.getById(id)).then(
    () => true,
    (err: { statusCode?: number }) => (err.statusCode === 404 ? false : Promise.reject(err)),
  );
}

describe.skipIf(missing !== undefined)('docker sandbox driver', () => {
  const started: RunningService[] = [];
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
  });

  it('runs a mock sandbox in Prism’s image on 127.0.0.1, and removes it on stop', async () => {
    const prism = await dockerDriver.startMock(
      { sandboxId: randomUUID(), orgId: ORG, specPath: COLLEXA_TEST_SPEC, limits },
      ctx,
    );
    started.push(prism);
    expect(prism.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(prism.record).toMatchObject({ hostId: expect.stringMatching(/^docker:[0-9a-f]+$/), pid: 0 });
    const list = await call(`${prism.url}/issues`);
    expect(list.status).toBe(200);
    expect(Array.isArray(list.json.items)).toBe(true);
    const bad = await call(`${prism.url}/issues`, {
      method: 'POST',
      json: { title: 42 },
    });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);
    await prism.stop();
    await prism.exited;
    expect(await containerExists(prism)).toBe(false);
  });

  it('runs an emulated sandbox against its own database, and removes it on stop', async () => {
    const id = randomUUID();
    const store = new EmulatorStore({ databaseUrl: inject('databaseUrl') });
    const db = await store.create(id, parseSpec(readFileSync(COLLEXA_TEST_SPEC, 'utf8')));
    try {
      const emulator = await dockerDriver.startEmulated(
        { sandboxId: id, orgId: ORG, specPath: COLLEXA_TEST_SPEC, limits, db, pg: pgAddress() },
        ctx,
      );
      started.push(emulator);
      const created = await call(`${emulator.url}/issues`, { method: 'POST', json: { title: 'from a container' } });
      expect(created.status).toBe(201);
      const list = await call(`${emulator.url}/issues`);
      expect(list.status).toBe(200);
      expect(list.json.items.map((i: { title: string }) => i.title)).toContain('from a container');
      const bad = await call(`${emulator.url}/issues`, { method: 'POST', json: { title: 42 } });
      expect(bad.status).toBeGreaterThanOrEqual(400);
      expect(bad.status).toBeLessThan(500);
      await emulator.stop();
      expect(await containerExists(emulator)).toBe(false);
    } finally {
      await store.drop(id);
    }
  });
});
