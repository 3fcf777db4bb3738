// Deciding through Temporal itself, as an operator would: the real Temporal CLI against the run's Temporal
// server, with a token from `collexa approvals token` (finding 1 of issue 9: plain JSON no longer decides).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT } from '../../core/paths.js';
import { approvalOrg, createApproval } from '../helpers/approvals.js';
import { startPlatform } from '../helpers/platform.js';
import { call, runTs, stackEnv } from '../helpers/stack.js';

const TEMPORAL = path.join(PROJECT_ROOT, '.tools/bin/temporal');

let platform: Awaited<ReturnType<typeof startPlatform>>;
let orgId: string;
let developer: { key: string; userId: string };
let approver: { key: string; userId: string };

beforeAll(async () => {
  platform = await startPlatform();
  ({ orgId, developer, approver } = await approvalOrg(platform.db, 'decision cli'));
});
afterAll(() => platform?.stop());

/** `temporal workflow update execute --name decide`; codec: Collexa's remote codec with `codecKey`, or none. */
async function temporalDecide(approvalId: string, input: unknown, codecKey?: string) {
  const args = [
    'workflow',
    'update',
    'execute',
    '--address',
    inject('temporalAddress'),
    '--workflow-id',
    `approval-${approvalId}`,
    '--name',
    'decide',
    '--input',
    JSON.stringify(input),
    '--output',
    'json',
  ];
  if (codecKey) args.push('--codec-endpoint', `${platform.url}/codec`, '--codec-auth', `Bearer ${codecKey}`);
  try {
    const { stdout } = await promisify(execFile)(TEMPORAL, args, { timeout: 30_000 });
    return { ok: true, out: stdout };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}` };
  }
}

const collexa = (args: string[], key: string) =>
  runTs('scripts/cli/main.ts', args, stackEnv({ COLLEXA_API_URL: platform.url, COLLEXA_API_KEY: key }));
const approvalOf = async (id: string) => (await call(`${platform.url}/v1/approvals/${id}`, { key: approver.key })).json;

describe('deciding through the Temporal CLI', () => {
  it('refuses plain JSON naming a real approver (no token, no codec): the approval stays pending', async () => {
    const id = await createApproval(platform.url, developer.key);
    const r = await temporalDecide(id, {
      decision: 'approve',
      approver: { userId: approver.userId, orgId, role: 'approver' },
    });
    expect(r.ok).toBe(false);
    expect(r.out).toContain('decision_token_required');
    expect((await approvalOf(id)).status).toBe('pending');
    const credited = await platform.db('audit_events').where({ subject_id: id, action: 'approval.approved' });
    expect(credited).toEqual([]);
  });

  it('approves with a token from `collexa approvals token`, audited as channel temporal', async () => {
    const id = await createApproval(platform.url, developer.key);
    const token = await collexa(['approvals', 'token', id, '--decision', 'approve'], approver.key);
    expect(token.code, token.stderr).toBe(0);
    expect(token.stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(token.stderr).toContain(`--workflow-id approval-${id}`);

    // The token is for approve: sending it as a deny is refused, and so is a reuse after it decided.
    expect((await temporalDecide(id, { decision: 'deny', token: token.stdout.trim() }, approver.key)).out).toContain(
      'decision_token_mismatch',
    );
    const r = await temporalDecide(
      id,
      { decision: 'approve', token: token.stdout.trim(), comment: 'via cli' },
      approver.key,
    );
    expect(r.ok, r.out).toBe(true);
    expect(r.out).toContain('approved');
    expect(await approvalOf(id)).toMatchObject({ status: 'approved', decidedBy: approver.userId, comment: 'via cli' });
    const [event] = await platform.db('audit_events').where({ subject_id: id, action: 'approval.approved' });
    expect(event).toMatchObject({
      actor: `user:${approver.userId}`,
      data: { channel: 'temporal', comment: 'via cli' },
    });
    expect((await temporalDecide(id, { decision: 'approve', token: token.stdout.trim() }, approver.key)).ok).toBe(
      false,
    );
  });

  it('answers usage mistakes with exit 2 and API refusals with exit 1', async () => {
    const id = await createApproval(platform.url, developer.key);
    expect((await collexa(['approvals', 'token', id, '--decision', 'maybe'], approver.key)).code).toBe(2);
    expect((await collexa(['approvals', 'token', 'nope', '--decision', 'approve'], approver.key)).code).toBe(2);
    const self = await collexa(['approvals', 'token', id, '--decision', 'approve', '--json'], developer.key);
    expect(self.code).toBe(1);
    expect(JSON.parse(self.stderr).error.code).toBe('self_approval');
  });
});
