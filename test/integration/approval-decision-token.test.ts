// Decisions carry proof (issue 9, finding 1): the decide update accepts a decision only with a signed,
// short-lived, single-use decision token; everything else is refused and the approval stays pending.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningKeys } from '../../core/manifests/signing-keys.js';
import { approvalOrg, createApproval, requestDecisionToken, signClaims } from '../helpers/approvals.js';
import { startPlatform, userWithRole } from '../helpers/platform.js';
import { call, createOrg, testVault } from '../helpers/stack.js';

let platform: Awaited<ReturnType<typeof startPlatform>>;
let orgId: string;
let developer: { key: string; userId: string };
let approver: { key: string; userId: string };

beforeAll(async () => {
  platform = await startPlatform();
  ({ orgId, developer, approver } = await approvalOrg(platform.db, 'decision tokens'));
});
afterAll(() => platform?.stop());

const decide = (approvalId: string, input: Record<string, unknown>) =>
  platform.client.workflow.getHandle(`approval-${approvalId}`).executeUpdate('decide', { args: [input] });
/** Tokens signed here name the active kid, which may be newer than the approval (another test rotated): let it load the keys, as the API does. */
const holdKeys = (approvalId: string) =>
  platform.client.workflow
    .getHandle(`approval-${approvalId}`)
    .executeUpdate('refreshDecisionKeys', { args: [{ kid: 'the active key' }] })
    .catch(() => undefined);
const decideCrafted = async (approvalId: string, input: Record<string, unknown>) => {
  await holdKeys(approvalId);
  return decide(approvalId, input);
};
const statusOf = async (approvalId: string) =>
  (await call(`${platform.url}/v1/approvals/${approvalId}`, { key: approver.key })).json.status as string;
const claimsFor = (approvalId: string, over: Record<string, unknown> = {}) => ({
  sub: approver.userId,
  org: orgId,
  approval: approvalId,
  decision: 'approve',
  role: 'approver',
  channel: 'temporal',
  ...over,
});

describe('the decide update', () => {
  it('refuses a decision without a token, naming a real approver, and leaves the approval pending', async () => {
    const id = await createApproval(platform.url, developer.key);
    const plain = decide(id, { decision: 'approve', approver: { userId: approver.userId, orgId, role: 'approver' } });
    await expect(plain).rejects.toMatchObject({ cause: { type: 'decision_token_required' } });
    expect(await statusOf(id)).toBe('pending');
    // Rejected in the validator: nothing of it is in the history.
    const history = await platform.client.workflow.getHandle(`approval-${id}`).fetchHistory();
    expect(history.events!.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toBe(false);
  });

  it('refuses forged, expired, other-approval, other-decision, other-org and mangled tokens', async () => {
    const id = await createApproval(platform.url, developer.key);
    const other = await createApproval(platform.url, developer.key);
    const cases: [string, () => Promise<unknown>][] = [
      [
        'decision_token_invalid',
        async () =>
          decideCrafted(id, { decision: 'approve', token: await signClaims(platform.db, claimsFor(id), 'forged') }),
      ],
      [
        'decision_token_expired',
        async () =>
          decideCrafted(id, {
            decision: 'approve',
            token: await signClaims(platform.db, { ...claimsFor(id), exp: Math.floor(Date.now() / 1000) - 5 }),
          }),
      ],
      [
        'decision_token_mismatch',
        async () => decideCrafted(id, { decision: 'approve', token: await signClaims(platform.db, claimsFor(other)) }),
      ],
      [
        'decision_token_mismatch',
        async () => decideCrafted(id, { decision: 'deny', token: await signClaims(platform.db, claimsFor(id)) }),
      ],
      [
        'decision_token_mismatch',
        async () =>
          decideCrafted(id, {
            decision: 'approve',
            token: await signClaims(
              platform.db,
              claimsFor(id, { org: (await createOrg(platform.db, 'elsewhere')).org.id }),
            ),
          }),
      ],
      ['decision_token_invalid', async () => decideCrafted(id, { decision: 'approve', token: 'not.a.jws' })],
      [
        'self_approval',
        async () =>
          decideCrafted(id, {
            decision: 'approve',
            token: await signClaims(platform.db, claimsFor(id, { sub: developer.userId, role: 'approver' })),
          }),
      ],
      [
        'approver_role_forbidden',
        async () =>
          decideCrafted(id, {
            decision: 'approve',
            token: await signClaims(platform.db, claimsFor(id, { role: 'viewer' })),
          }),
      ],
    ];
    for (const [type, attempt] of cases) await expect(attempt(), type).rejects.toMatchObject({ cause: { type } });
    // A token from the API for approve, with a swapped approver claim.
    const real = await requestDecisionToken(platform.url, approver.key, id, 'approve');
    await expect(
      decide(id, {
        decision: 'approve',
        token: real.json.token,
        approver: { userId: developer.userId, orgId, role: 'approver' },
      }),
    ).rejects.toMatchObject({ cause: { type: 'decision_token_mismatch' } });
    expect(await statusOf(id)).toBe('pending');
    // The genuine token still decides, credited to its approver.
    const state = await decide(id, { decision: 'approve', token: real.json.token });
    expect(state).toMatchObject({ status: 'approved', decidedBy: approver.userId, channel: 'temporal' });
  });

  it('uses a token once: again on the same approval, or its jti on another one, is refused', async () => {
    const first = await createApproval(platform.url, developer.key);
    const token = (await requestDecisionToken(platform.url, approver.key, first, 'deny')).json;
    expect(await decide(first, { decision: 'deny', token: token.token })).toMatchObject({ status: 'denied' });
    // The approval's workflow has ended with the decision; nothing is left to decide.
    await expect(decide(first, { decision: 'deny', token: token.token })).rejects.toThrow(
      /already completed|not found/i,
    );
    // A validly signed token reusing a consumed jti (a signer bug, a replayed id) fails at the database.
    const second = await createApproval(platform.url, developer.key);
    const replayed = await signClaims(platform.db, claimsFor(second, { jti: token.jti }));
    await expect(decideCrafted(second, { decision: 'approve', token: replayed })).rejects.toMatchObject({
      cause: { type: 'decision_token_reused' },
    });
    expect(await statusOf(second)).toBe('pending');
    const consumed = await platform.db('approval_decision_tokens').where({ jti: token.jti });
    expect(consumed).toMatchObject([
      { approval_id: first, user_id: approver.userId, decision: 'deny', channel: 'temporal' },
    ]);
  });

  it('accepts a token signed by a key rotated in after the approval started (the workflow reloads its keys)', async () => {
    const id = await createApproval(platform.url, developer.key);
    const before = await platform.client.workflow.getHandle(`approval-${id}`).query('approvalState');
    const rotated = await new SigningKeys(platform.db, testVault(platform.db)).rotate();
    expect((before as { signingKids: string[] }).signingKids).not.toContain(rotated.kid);
    const r = await call(`${platform.url}/v1/approvals/${id}/approve`, {
      method: 'POST',
      key: approver.key,
      json: { comment: 'after rotation' },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ status: 'approved', decidedBy: approver.userId, comment: 'after rotation' });
  });

  it('audits each decision with its channel: api through the API, temporal with a token sent to Temporal', async () => {
    const viaApi = await createApproval(platform.url, developer.key);
    const viaTemporal = await createApproval(platform.url, developer.key);
    expect(
      (await call(`${platform.url}/v1/approvals/${viaApi}/approve`, { method: 'POST', key: approver.key, json: {} }))
        .json.status,
    ).toBe('approved');
    const token = (await requestDecisionToken(platform.url, approver.key, viaTemporal, 'deny')).json.token;
    await decide(viaTemporal, { decision: 'deny', token, comment: 'no' });
    const events = await platform
      .db('audit_events')
      .whereIn('subject_id', [viaApi, viaTemporal])
      .whereIn('action', ['approval.approved', 'approval.denied']);
    expect(events.map((e) => [e.subject_id, e.action, e.actor, e.data.channel])).toEqual(
      expect.arrayContaining([
        [viaApi, 'approval.approved', `user:${approver.userId}`, 'api'],
        [viaTemporal, 'approval.denied', `user:${approver.userId}`, 'temporal'],
      ]),
    );
    expect(events).toHaveLength(2);
  });

  it('gives tokens only to whoever may decide, for a pending approval of their org', async () => {
    const id = await createApproval(platform.url, developer.key);
    expect((await requestDecisionToken(platform.url, developer.key, id, 'approve')).json.error.code).toBe(
      'self_approval',
    );
    const viewer = await userWithRole(platform.db, orgId, 'viewer');
    expect((await requestDecisionToken(platform.url, viewer.key, id, 'approve')).json.error.code).toBe(
      'approver_role_forbidden',
    );
    const foreign = await userWithRole(platform.db, (await createOrg(platform.db, 'foreign')).org.id, 'approver');
    expect((await requestDecisionToken(platform.url, foreign.key, id, 'approve')).status).toBe(404);
    expect(
      (
        await call(`${platform.url}/v1/approvals/${id}/decision-token`, {
          method: 'POST',
          key: approver.key,
          json: { decision: 'maybe' },
        })
      ).status,
    ).toBe(400);
    await call(`${platform.url}/v1/approvals/${id}/deny`, { method: 'POST', key: approver.key, json: {} });
    expect((await requestDecisionToken(platform.url, approver.key, id, 'approve')).status).toBe(409);
  });
});
