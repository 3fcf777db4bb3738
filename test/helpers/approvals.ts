import { randomUUID } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import { DECISION_TOKEN_AUDIENCE, DECISION_TOKEN_TYP } from '../../contracts/approval.contract.js';
import type { Db } from '../../core/db/knex.js';
import { userWithRole } from './platform.js';
import { SigningKeys } from '../../core/manifests/signing-keys.js';
import { call, createOrg, testVault } from './stack.js';

/** A fresh org with a developer (who asks) and an approver (who decides). */
export async function approvalOrg(db: Db, name: string) {
  const org = await createOrg(db, name);
  return {
    orgId: org.org.id,
    adminKey: org.adminKey,
    developer: await userWithRole(db, org.org.id, 'developer'),
    approver: await userWithRole(db, org.org.id, 'approver'),
  };
}

/** A standalone approval created over the API by `requesterKey`; its id. */
export async function createApproval(
  url: string,
  requesterKey: string,
  body: Record<string, unknown> = {},
): Promise<string> {
  const r = await call(`${url}/v1/approvals`, {
    method: 'POST',
    key: requesterKey,
    json: { subjectType: 'budget_override', subjectId: `b-${randomUUID()}`, ...body },
  });
  if (r.status !== 201) throw new Error(`POST /v1/approvals: ${r.status} ${r.text}`);
  return r.json.id as string;
}

/** POST /v1/approvals/:id/decision-token as `key`. */
export const requestDecisionToken = (url: string, key: string, approvalId: string, decision: 'approve' | 'deny') =>
  call(`${url}/v1/approvals/${approvalId}/decision-token`, { method: 'POST', key, json: { decision } });

export interface TokenClaims {
  sub: string;
  org: string;
  approval: string;
  decision: string;
  role: string;
  channel: string;
  jti?: string;
  exp?: number;
}

/**
 * Signs decision-token claims as given, for tests of what the workflow must refuse: with the platform's
 * real active key (`key: 'platform'`), or with a key of the attacker's own under the platform's kid.
 */
export async function signClaims(
  db: Db,
  claims: TokenClaims,
  key: 'platform' | 'forged' = 'platform',
): Promise<string> {
  const active = await new SigningKeys(db, testVault(db)).active();
  const privateKey = key === 'platform' ? active.privateKey : (await generateKeyPair('ES256')).privateKey;
  const now = Math.floor(Date.now() / 1000);
  const { jti, exp, sub, ...rest } = claims;
  return new SignJWT(rest)
    .setProtectedHeader({ alg: 'ES256', typ: DECISION_TOKEN_TYP, kid: active.kid })
    .setAudience(DECISION_TOKEN_AUDIENCE)
    .setSubject(sub)
    .setJti(jti ?? randomUUID())
    .setIssuedAt(now - 600)
    .setExpirationTime(exp ?? now + 300)
    .sign(privateKey);
}
