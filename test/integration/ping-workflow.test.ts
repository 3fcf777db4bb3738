import { randomUUID } from 'node:crypto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { OrgIdKey, StatusKey } from '../../contracts/search-attributes.js';
import type { pingWorkflow } from '../../workflows/index.js';
import { spawnWorkerProcess, startPlatform } from '../helpers/platform.js';
import { createOrg } from '../helpers/stack.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

describe('pingWorkflow through a real worker', () => {
  it('runs its activity against PostgreSQL and sets search attributes', async () => {
    const platform = await startPlatform();
    try {
      const { org } = await createOrg(platform.db);
      const workflowId = `ping-${org.id}-${randomUUID()}`;
      const result = await platform.client.workflow.execute<typeof pingWorkflow>('pingWorkflow', {
        taskQueue: platform.taskQueue,
        workflowId,
        args: [{ orgId: org.id, message: 'hello' }],
      });
      expect(result).toMatchObject({ echo: 'hello', workflowId });
      const row = await platform.db('audit_events').where({ id: result.auditEventId }).first();
      expect(row).toMatchObject({
        org_id: org.id,
        action: 'system.ping',
        subject_id: workflowId,
        data: { message: 'hello' },
      });
      const described = await platform.client.workflow.getHandle(workflowId).describe();
      expect(described.typedSearchAttributes.get(OrgIdKey)).toBe(org.id);
      expect(described.typedSearchAttributes.get(StatusKey)).toBe('succeeded');
    } finally {
      await platform.stop();
    }
  });

  it('runs in the worker process (npm run worker), which exits cleanly on SIGTERM', async () => {
    // No in-process worker: the spawned process is the only one on the task queue.
    const platform = await startPlatform({ worker: 'none' });
    const worker = spawnWorkerProcess(platform.taskQueue);
    try {
      await worker.ready;
      const { org } = await createOrg(platform.db);
      try {
        const result = await platform.client.workflow.execute<typeof pingWorkflow>('pingWorkflow', {
          taskQueue: platform.taskQueue,
          workflowId: `ping-${org.id}-${randomUUID()}`,
          args: [{ orgId: org.id, message: 'from the worker process' }],
          workflowExecutionTimeout: '30 seconds',
        });
        expect(result.echo).toBe('from the worker process');
      } finally {
        const t0 = Date.now();
        worker.child.kill('SIGTERM');
        expect(await worker.exited).toBe(0);
        expect(Date.now() - t0).toBeLessThan(10_000);
      }
      expect(worker.output()).toContain('worker ready');
      expect(worker.output()).toContain('worker stopped');
    } finally {
      worker.child.kill('SIGKILL'); // a no-op once it exited; a worker still running would outlive the test
      await platform.stop();
    }
  });
});
