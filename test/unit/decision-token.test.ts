// The workflow's pure ES256 check of decision tokens against jose-signed tokens, and the database-error
// classification activities use (no Temporal, no database: pure logic beside the integration tests).
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { permanentDbError } from '../../core/db/pg-errors.js';
import { DECISION_TOKEN_AUDIENCE, DECISION_TOKEN_TYP } from '../../contracts/approval.contract.js';
import { verifyDecisionToken } from '../../workflows/decision-token.js';

async function setup() {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const keys = { k1: { kid: 'k1', x: jwk.x!, y: jwk.y! } };
  const sign = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
    new SignJWT({ org: 'o', approval: 'a', decision: 'approve', role: 'approver', channel: 'api', ...claims })
      .setProtectedHeader({ alg: 'ES256', typ: DECISION_TOKEN_TYP, kid: 'k1', ...header })
      .setAudience(DECISION_TOKEN_AUDIENCE)
      .setSubject('u')
      .setJti('j')
      .setExpirationTime((claims.exp as number | undefined) ?? Math.floor(Date.now() / 1000) + 60)
      .sign(privateKey);
  return { keys, sign };
}
const expected = { approvalId: 'a', orgId: 'o', decision: 'approve', nowMs: Date.now() };

describe('verifyDecisionToken (workflow side)', () => {
  it('accepts what jose signs, every time (WebCrypto does not normalise s)', async () => {
    const { keys, sign } = await setup();
    for (let i = 0; i < 20; i++) {
      const v = verifyDecisionToken(await sign({ n: i }), keys, expected);
      expect(v).toMatchObject({ ok: true, claims: { userId: 'u', jti: 'j', kid: 'k1', channel: 'api' } });
    }
  });

  it('refuses a changed payload, an unknown kid, the wrong typ, expiry and other approvals', async () => {
    const { keys, sign } = await setup();
    const [h, , s] = (await sign()).split('.');
    const otherPayload = (await sign({ decision: 'deny' })).split('.')[1];
    const type = async (token: string, exp = expected) => {
      const v = verifyDecisionToken(token, keys, exp);
      return v.ok ? 'ok' : v.type;
    };
    expect(await type(`${h}.${otherPayload}.${s}`)).toBe('decision_token_invalid');
    expect(await type(await sign({}, { kid: 'k2' }))).toBe('decision_token_unknown_kid');
    expect(await type(await sign({}, { typ: 'JWT' }))).toBe('decision_token_invalid');
    expect(await type(await sign({ exp: Math.floor(Date.now() / 1000) - 1 }))).toBe('decision_token_expired');
    expect(await type(await sign({ approval: 'b' }))).toBe('decision_token_mismatch');
    expect(await type(await sign(), { ...expected, decision: 'deny' })).toBe('decision_token_mismatch');
    expect(verifyDecisionToken(undefined, keys, expected)).toMatchObject({
      ok: false,
      type: 'decision_token_required',
    });
  });
});

describe('permanentDbError', () => {
  it('classifies data exceptions and constraint violations, and nothing else', () => {
    expect(
      permanentDbError({ code: '22021', severity: 'ERROR', message: 'insert into x - invalid byte sequence' }),
    ).toEqual({ sqlstate: '22021', kind: 'invalid_data', message: 'invalid byte sequence' });
    expect(permanentDbError({ code: '23505', severity: 'ERROR', message: 'dup', constraint: 'k' })).toMatchObject({
      kind: 'constraint_violation',
      constraint: 'k',
    });
    expect(permanentDbError({ code: '40001', severity: 'ERROR', message: 'serialization' })).toBeUndefined();
    expect(permanentDbError({ code: 'ECONNREFUSED', message: 'down' })).toBeUndefined();
    expect(permanentDbError(new Error('x'))).toBeUndefined();
  });
});
