// Invocations as MCP tasks and upstream progress as the caller's notifications (pure pieces of the
// endpoint; the real path is test/integration/mcp-tasks.test.ts).
import { describe, expect, it } from 'vitest';
import { ProgressRelay, type ProgressNotice } from '../../api/mcp-endpoint/progress-relay.js';
import { legacyTask, modernTask, taskView } from '../../api/mcp-endpoint/tasks.js';
import type { ApprovalRow, InvocationRow } from '../../core/db/rows.js';

const created = new Date('2026-12-02T10:00:00.000Z');
const at = created.toISOString();
const row = (status: InvocationRow['status'], extra: Partial<InvocationRow> = {}) =>
  ({
    id: 'inv-1',
    status,
    capability: 'wire',
    approval_id: 'appr-1',
    error: null,
    created_at: created,
    updated_at: created,
    tool_started_at: null,
    ...extra,
  }) as InvocationRow;
const approval = {
  id: 'appr-1',
  approver_roles: ['approver', 'admin'],
  expires_at: new Date('2026-12-03T10:00:00.000Z'),
} as ApprovalRow;

describe('taskView', () => {
  it('is working while waiting for an approval, naming it, who decides and until when', () => {
    const view = taskView(row('pending_approval'), approval);
    expect(view).toMatchObject({ taskId: 'inv-1', status: 'working', createdAt: at });
    expect(view.statusMessage).toBe(
      'Waiting for approval appr-1: an approver (approver or admin) must approve or deny it ' +
        '(POST /v1/approvals/appr-1/approve or /deny) before 2026-12-03T10:00:00.000Z',
    );
  });

  it('completes every ending but a cancellation, with the reason; a cancellation is cancelled', () => {
    expect(taskView(row('succeeded'), undefined).status).toBe('completed');
    const denied = taskView(row('denied', { error: { message: 'not now' } }), undefined);
    expect(denied).toMatchObject({ status: 'completed', statusMessage: 'wire denied: not now' });
    expect(taskView(row('expired'), undefined).status).toBe('completed');
    expect(taskView(row('failed'), undefined).status).toBe('completed');
    expect(taskView(row('cancelled'), undefined).status).toBe('cancelled');
    expect(taskView(row('running'), undefined).status).toBe('working');
  });

  it('is framed per era: flat ttlMs/pollIntervalMs (2026-07-28), ttl/pollInterval (2025-11-25)', () => {
    const view = taskView(row('running'), undefined);
    expect(modernTask(view)).toMatchObject({ ttlMs: null, pollIntervalMs: expect.any(Number) });
    expect(legacyTask(view)).toMatchObject({ ttl: null, pollInterval: expect.any(Number) });
  });
});

describe('ProgressRelay', () => {
  const relay = (every = 1000) => {
    const sent: ProgressNotice[] = [];
    return { sent, r: new ProgressRelay(async (n) => void sent.push(n), every) };
  };

  it('passes the tool’s own progress on unchanged when there was no approval wait, once per value', async () => {
    const { sent, r } = relay();
    await r.observe(row('running', { progress: { progress: 1, total: 3, message: 'step 1', at } }));
    await r.observe(row('running', { progress: { progress: 1, total: 3, message: 'step 1', at } }));
    await r.observe(row('running', { progress: { progress: 3, total: 3, message: 'step 3', at } }));
    expect(sent).toEqual([
      { progress: 1, total: 3, message: 'step 1' },
      { progress: 3, total: 3, message: 'step 3' },
    ]);
  });

  it('counts up while waiting for approval (throttled), then shifts the tool’s progress so it keeps increasing', async () => {
    const { sent, r } = relay(1000);
    await r.observe(row('pending_approval'), 0);
    await r.observe(row('pending_approval'), 500);
    await r.observe(row('pending_approval'), 1000);
    await r.observe(row('running', { progress: { progress: 1, total: 2, at } }));
    expect(sent).toEqual([
      { progress: 1, message: 'waiting for approval appr-1' },
      { progress: 2, message: 'waiting for approval appr-1' },
      { progress: 3, total: 4 },
    ]);
  });

  it('survives a caller that stopped listening, and keeps counting from what it tried to send', async () => {
    const tried: ProgressNotice[] = [];
    const r = new ProgressRelay(async (n) => {
      tried.push(n);
      throw new Error('gone');
    }, 1000);
    await expect(r.observe(row('running', { progress: { progress: 2, at } }))).resolves.toBeUndefined();
    await r.observe(row('running', { progress: { progress: 2, at } }));
    expect(tried).toEqual([{ progress: 2 }]);
  });
});
