// Pure ES256 verification of approval decision tokens inside the workflow sandbox: @noble/curves is plain
// synchronous JavaScript (no WebCrypto, no I/O, no randomness when verifying), so it is deterministic and
// can run in an update validator, which must be synchronous and may not call activities.
import { p256 } from '@noble/curves/nist.js';
import {
  DECISION_TOKEN_AUDIENCE,
  DECISION_TOKEN_TYP,
  DecisionRejection,
  type Decision,
  type DecisionChannel,
  type DecisionKey,
} from '../contracts/approval.contract.js';

/** What a verified token says. */
export interface VerifiedDecision {
  jti: string;
  kid: string;
  userId: string;
  orgId: string;
  role: string;
  approvalId: string;
  decision: Decision;
  channel: DecisionChannel;
  expiresAtMs: number;
}

export type Verdict = { ok: true; claims: VerifiedDecision } | { ok: false; type: string; message: string };

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64URL_INDEX = new Map([...B64URL].map((c, i) => [c, i]));

function fromBase64url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let n = 0;
  for (const c of text) {
    value = (value << 6) | B64URL_INDEX.get(c)!;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (value >> bits) & 0xff;
    }
  }
  return out.subarray(0, n);
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const fail = (type: string, message: string): Verdict => ({ ok: false, type, message });

function json(part: string): Record<string, unknown> | undefined {
  const bytes = fromBase64url(part);
  if (!bytes) return undefined;
  try {
    const v: unknown = JSON.parse(decoder.decode(bytes));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks a decision token against the keys the workflow holds and what the decision must be: signature
 * (ES256 over `header.payload`), typ/aud, expiry against workflow time, and that it names this approval,
 * this org and this decision. The single-use check (jti) is the database's, in the handler's activity.
 */
export function verifyDecisionToken(
  token: unknown,
  keys: Record<string, DecisionKey>,
  expected: { approvalId: string; orgId: string; decision: string; nowMs: number },
): Verdict {
  if (typeof token !== 'string' || token.length === 0)
    return fail(
      DecisionRejection.tokenRequired,
      'A decision needs a decision token (POST /v1/approvals/:id/decision-token, or `collexa approvals token`)',
    );
  const parts = token.length <= 4096 ? token.split('.') : [];
  if (parts.length !== 3) return fail(DecisionRejection.tokenInvalid, 'The decision token is not a compact JWS');
  const [h, p, s] = parts as [string, string, string];
  const header = json(h);
  const payload = json(p);
  const signature = fromBase64url(s);
  if (!header || !payload || !signature)
    return fail(DecisionRejection.tokenInvalid, 'The decision token is not a compact JWS');
  if (header.alg !== 'ES256' || header.typ !== DECISION_TOKEN_TYP || typeof header.kid !== 'string')
    return fail(
      DecisionRejection.tokenInvalid,
      `The decision token must be ES256 with typ ${DECISION_TOKEN_TYP} and a kid`,
    );
  const key = keys[header.kid];
  if (!key)
    return fail(
      DecisionRejection.tokenUnknownKid,
      `The decision token is signed by key ${header.kid}, which this approval does not hold (refreshDecisionKeys)`,
    );
  const x = fromBase64url(key.x);
  const y = fromBase64url(key.y);
  let valid = false;
  try {
    // JWS ES256 signatures are r‖s (64 bytes); WebCrypto does not normalise s, so high-s is accepted.
    valid =
      !!x &&
      !!y &&
      signature.length === 64 &&
      p256.verify(signature, encoder.encode(`${h}.${p}`), Uint8Array.of(4, ...x, ...y), { lowS: false });
  } catch {
    valid = false;
  }
  if (!valid) return fail(DecisionRejection.tokenInvalid, 'The decision token signature does not verify');
  const c = payload;
  if (
    c.aud !== DECISION_TOKEN_AUDIENCE ||
    typeof c.jti !== 'string' ||
    typeof c.sub !== 'string' ||
    typeof c.org !== 'string' ||
    typeof c.role !== 'string' ||
    typeof c.exp !== 'number'
  ) {
    return fail(DecisionRejection.tokenInvalid, 'The decision token lacks its claims');
  }
  if (c.exp * 1000 <= expected.nowMs)
    return fail(DecisionRejection.tokenExpired, 'The decision token has expired; ask for a new one');
  if (c.approval !== expected.approvalId || c.org !== expected.orgId)
    return fail(DecisionRejection.tokenMismatch, 'The decision token is for another approval');
  if (c.decision !== expected.decision)
    return fail(
      DecisionRejection.tokenMismatch,
      `The decision token is for "${String(c.decision)}", not "${expected.decision}"`,
    );
  if (c.channel !== 'api' && c.channel !== 'mcp' && c.channel !== 'temporal')
    return fail(DecisionRejection.tokenInvalid, 'The decision token names no channel');
  return {
    ok: true,
    claims: {
      jti: c.jti,
      kid: header.kid,
      userId: c.sub,
      orgId: c.org,
      role: c.role,
      approvalId: c.approval,
      decision: c.decision as Decision,
      channel: c.channel,
      expiresAtMs: c.exp * 1000,
    },
  };
}
