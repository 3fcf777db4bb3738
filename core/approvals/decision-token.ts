import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, errors, importJWK, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Knex } from 'knex';
import {
  DECISION_TOKEN_AUDIENCE,
  DECISION_TOKEN_TYP,
  type Decision,
  type DecisionChannel,
} from '../../contracts/approval.contract.js';
import { MANIFEST_ALG, type SigningKeys, type SigningKeyRow } from '../manifests/signing-keys.js';

// The typ and audience are the contract's: workflows/decision-token.ts verifies these tokens inside the workflow.
export const DECISION_TOKEN_TTL_SECONDS = 300;

/** The signed claims of a decision token. */
export interface DecisionClaims extends JWTPayload {
  jti: string;
  /** The approver's user id. */
  sub: string;
  org: string;
  approval: string;
  decision: Decision;
  /** The approver's role when the token was signed (the workflow checks it against the approval's roles; the activity re-reads it). */
  role: string;
  channel: DecisionChannel;
  exp: number;
}

export interface SignedDecisionToken {
  token: string;
  kid: string;
  jti: string;
  expiresAt: Date;
}

/** Why a token was refused by verifyDecisionTokenWithDb. */
export class DecisionTokenError extends Error {
  constructor(
    readonly reason: 'invalid' | 'expired' | 'unknown_kid',
    message: string,
  ) {
    super(message);
    this.name = 'DecisionTokenError';
  }
}

/**
 * Signs decision tokens with the platform's active signing key (the manifests' ES256 keys: one JWKS).
 * A token binds one approver, one approval in one org, one decision and a channel, expires after
 * DECISION_TOKEN_TTL_SECONDS and carries a fresh jti, which the decision consumes once.
 */
export class DecisionTokenSigner {
  constructor(
    private readonly keys: SigningKeys,
    private readonly issuer: string,
  ) {}

  async sign(input: {
    approvalId: string;
    orgId: string;
    userId: string;
    role: string;
    decision: Decision;
    channel: DecisionChannel;
  }): Promise<SignedDecisionToken> {
    const { kid, privateKey } = await this.keys.active();
    const jti = randomUUID();
    const now = Math.floor(Date.now() / 1000);
    const exp = now + DECISION_TOKEN_TTL_SECONDS;
    const token = await new SignJWT({
      org: input.orgId,
      approval: input.approvalId,
      decision: input.decision,
      role: input.role,
      channel: input.channel,
    })
      .setProtectedHeader({ alg: MANIFEST_ALG, typ: DECISION_TOKEN_TYP, kid })
      .setIssuer(this.issuer)
      .setAudience(DECISION_TOKEN_AUDIENCE)
      .setSubject(input.userId)
      .setJti(jti)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .sign(privateKey);
    return { token, kid, jti, expiresAt: new Date(exp * 1000) };
  }
}

/**
 * The activity's second check of a token the workflow's validator already verified: the signature with
 * jose against the key in PostgreSQL (not retired), typ, audience and expiry by the real clock.
 */
export async function verifyDecisionTokenWithDb(db: Knex, token: string): Promise<DecisionClaims & { kid: string }> {
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    throw new DecisionTokenError('invalid', 'The decision token is not a compact JWS');
  }
  const row = kid
    ? await db<SigningKeyRow>('signing_keys').where({ kid }).whereNot({ status: 'retired' }).first()
    : undefined;
  if (!row || !kid)
    throw new DecisionTokenError(
      'unknown_kid',
      `The decision token is signed by an unknown or retired key ${kid ?? ''}`.trim(),
    );
  try {
    const key = await importJWK(row.public_jwk, row.alg);
    const { payload } = await jwtVerify<DecisionClaims>(token, key, {
      algorithms: [MANIFEST_ALG],
      typ: DECISION_TOKEN_TYP,
      audience: DECISION_TOKEN_AUDIENCE,
      requiredClaims: ['jti', 'sub', 'exp'],
    });
    return { ...payload, kid };
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw new DecisionTokenError('expired', 'The decision token has expired');
    throw new DecisionTokenError('invalid', `The decision token does not verify: ${(err as Error).message}`);
  }
}
