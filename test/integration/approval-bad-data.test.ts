// Bad rows end, they do not wedge (issue 9, finding 2): data PostgreSQL refuses (a NUL byte) that reaches an
// activity anyway (sent straight to Temporal, past the API's validation) fails non-retryably with a clear
// type, and the approval can still be decided or cancelled afterwards.
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { approvalWorkflow } from '../../workflows/index.js';
import { approvalOrg, createApproval, requestDecisionToken } from '../helpers/approvals.js';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { createServerAndAgent, startPlatform, waitForStatus } from '../helpers/platform.js';
import { call } from '../helpers/stack.js';

let platform: Awaited<ReturnType<typeof startPlatform>>;
let fixture: HttpMcpServer;
let orgId: string;
let adminKey: string;
let developer: { key: string; userId: string };
let approver: { key: string; userId: string };

beforeAll(async () => {
  fixture = await startHttpMcpServer();
  platform = await startPlatform();
  ({ orgId, adminKey, developer, approver } = await approvalOrg(platform.db, 'bad data'));
});
afterAll(async () => {
  await platform?.stop();
  await fixture?.stop();
});

/** A standalone approval started through the Temporal client directly, as the API would but unchecked. */
function startDirect(subjectId: string, context: Record<string, unknown>) {
  const approvalId = randomUUID();
  return platform.client.workflow.start<typeof approvalWorkflow>('approvalWorkflow', {
    taskQueue: platform.taskQueue,
    workflowId: `approval-${approvalId}`,
    args: [
      {
        approvalId,
        orgId,
        subjectType: 'budget_override',
        subjectId,
        requestedBy: developer.userId,
        approverRoles: ['approver'],
        context,
        expiresInMs: 3_600_000,
      },
    ],
  });
}

describe('data PostgreSQL refuses', () => {
  it('fails an approval whose subjectId or context holds a NUL byte at once, instead of retrying its row forever', async () => {
    for (const [subjectId, context] of [
      ['b\u0000d', {}],
      ['ok', { note: 'nul \u0000 inside' }],
    ] as const) {
      const started = Date.now();
      const handle = await startDirect(subjectId, context);
      const failure = await handle.result().catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      // Somewhere down the chain (ActivityFailure of openApproval): the non-retryable, typed ApplicationFailure.
      const chain: unknown[] = [];
      for (let e: unknown = failure; e; e = (e as { cause?: unknown }).cause) chain.push(e);
      expect(chain).toContainEqual(
        expect.objectContaining({
          type: 'invalid_data',
          nonRetryable: true,
          message: expect.stringContaining('SQLSTATE 22'),
        }),
      );
      expect(Date.now() - started).toBeLessThan(10_000);
    }
  });

  it('fails a decision whose comment holds a NUL byte with a typed error; the approval stays pending and can be denied', async () => {
    const id = await createApproval(platform.url, developer.key);
    const token = (await requestDecisionToken(platform.url, approver.key, id, 'approve')).json.token;
    const started = Date.now();
    const bad = platform.client.workflow
      .getHandle(`approval-${id}`)
      .executeUpdate('decide', { args: [{ decision: 'approve', token, comment: 'x\u0000' }] });
    await expect(bad).rejects.toMatchObject({ cause: { type: 'invalid_data' } });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await call(`${platform.url}/v1/approvals/${id}`, { key: approver.key })).json.status).toBe('pending');
    // The failed decision consumed nothing: the transaction rolled back.
    expect(await platform.db('approval_decision_tokens').where({ approval_id: id })).toEqual([]);
    const denied = await call(`${platform.url}/v1/approvals/${id}/deny`, {
      method: 'POST',
      key: approver.key,
      json: { comment: 'clean' },
    });
    expect(denied.json).toMatchObject({ status: 'denied', comment: 'clean' });
  });

  it('answers an approve with a NUL comment quickly and typed, and the invocation can still be cancelled', async () => {
    const { agentId } = await createServerAndAgent(
      platform.url,
      adminKey,
      { name: 'h', transport: 'http', url: fixture.url },
      { name: 'nul', capabilities: [{ name: 'note', tool: 'record', risk: 'high' }] },
    );
    const inv = await call(`${platform.url}/v1/agents/${agentId}/invoke`, {
      method: 'POST',
      key: developer.key,
      json: { capability: 'note', input: { note: 'n' } },
    });
    const pending = await waitForStatus(platform.url, developer.key, inv.json.invocationId, 'pending_approval');
    const started = Date.now();
    const r = await call(`${platform.url}/v1/approvals/${pending.approval.id}/approve`, {
      method: 'POST',
      key: approver.key,
      json: { comment: 'x\u0000' },
    });
    expect(r.status).toBe(400);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(
      (await call(`${platform.url}/v1/invocations/${inv.json.invocationId}`, { key: developer.key })).json.status,
    ).toBe('pending_approval');
    const cancelled = await call(`${platform.url}/v1/invocations/${inv.json.invocationId}/cancel`, {
      method: 'POST',
      key: developer.key,
    });
    expect(cancelled.json.status).toBe('cancelled');
    expect((await call(`${platform.url}/v1/approvals/${pending.approval.id}`, { key: approver.key })).json.status).toBe(
      'cancelled',
    );
  });
});
