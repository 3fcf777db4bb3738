import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { PROJECT_ROOT } from '../../core/paths.js';
import { PolicyEngine } from '../../core/policy/engine.js';
import { createWorker } from '../../workers/create-worker.js';
import { OrgIdKey, StatusKey } from '../../contracts/search-attributes.js';
import type { pingWorkflow } from '../../workflows/index.js';
import { createOrg, stackEnv, testDb, testLogger, testDataConverter, testPool } from '../helpers/stack.js';

Runtime.install({ logger: new DefaultLogger('WARN') });
const db = testDb();
let connection: Connection;
let client: Client;
beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection, dataConverter: testDataConverter() });
});
afterAll(async () => {
  await connection.close();
  await db.destroy();
});

describe('pingWorkflow through a real worker', () => {
  it('runs its activity against PostgreSQL and sets search attributes', async () => {
    const { org } = await createOrg(db);
    const taskQueue = `test-${randomUUID()}`;
    const native = await NativeConnection.connect({ address: inject('temporalAddress') });
    const worker = await createWorker({
      dataConverter: testDataConverter(),
      connection: native,
      config: { temporal: { namespace: 'default', taskQueue } } as never,
      deps: { db, logger: testLogger, policy: await PolicyEngine.load(inject('policyDir')), mcp: testPool() },
      workflowBundle: { code: readFileSync(inject('workflowBundlePath'), 'utf8') },
    });
    const workflowId = `ping-${org.id}-${randomUUID()}`;
    const result = await worker.runUntil(
      client.workflow.execute<typeof pingWorkflow>('pingWorkflow', { taskQueue, workflowId, args: [{ orgId: org.id, message: 'hello' }] }),
    );
    await native.close();
    expect(result).toMatchObject({ echo: 'hello', workflowId });
    const row = await db('audit_events').where({ id: result.auditEventId }).first();
    expect(row).toMatchObject({ org_id: org.id, action: 'system.ping', subject_id: workflowId, data: { message: 'hello' } });
    const described = await client.workflow.getHandle(workflowId).describe();
    expect(described.typedSearchAttributes.get(OrgIdKey)).toBe(org.id);
    expect(described.typedSearchAttributes.get(StatusKey)).toBe('succeeded');
  });

  it('runs in the worker process (npm run worker), which exits cleanly on SIGTERM', async () => {
    const { org } = await createOrg(db);
    const taskQueue = `test-${randomUUID()}`;
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'workers/main.ts')], {
      env: stackEnv({ TEMPORAL_TASK_QUEUE: taskQueue, WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'), POLICY_DIR: inject('policyDir') }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const result = await client.workflow.execute<typeof pingWorkflow>('pingWorkflow', {
        taskQueue,
        workflowId: `ping-${org.id}-${randomUUID()}`,
        args: [{ orgId: org.id, message: 'from the worker process' }],
        workflowExecutionTimeout: '30 seconds',
      });
      expect(result.echo).toBe('from the worker process');
    } finally {
      const t0 = Date.now();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(Date.now() - t0).toBeLessThan(10_000);
    }
    expect(out).toContain('worker ready');
    expect(out).toContain('worker stopped');
  });
});
