import { ApplicationFailure } from '@temporalio/activity';
import type { Knex } from 'knex';
import { DecisionTokenError, verifyDecisionTokenWithDb } from '../core/approvals/decision-token.js';
import { ApprovalRepository } from '../core/db/approval.repository.js';
import { AuditRepository } from '../core/db/audit.repository.js';
import { permanentDbError } from '../core/db/pg-errors.js';
import type { UserRow } from '../core/db/rows.js';
import { publicJwks } from '../core/manifests/signing-keys.js';
import { DecisionRejection, type Approver, type DecisionChannel, type DecisionKey } from '../contracts/approval.contract.js';
import type { ActivityDeps } from './index.js';

const reject = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

const TOKEN_REJECTION = {
  invalid: DecisionRejection.tokenInvalid,
  expired: DecisionRejection.tokenExpired,
  unknown_kid: DecisionRejection.tokenUnknownKid,
} as const;

/** The public signing keys (P-256 coordinates by kid) a workflow verifies decision tokens with. */
export async function decisionKeys(db: Knex): Promise<DecisionKey[]> {
  const { keys } = await publicJwks(db);
  return keys.filter((k) => k.kty === 'EC' && k.crv === 'P-256' && k.kid && k.x && k.y).map((k) => ({ kid: k.kid!, x: k.x!, y: k.y! }));
}

type ApproverCheck = { approvalId: string; approver: Approver; approverRoles: string[]; requestedBy: string; orgId: string };

/** The authoritative check behind a decision: the approver exists, in this org, and policy lets them decide. */
export async function assertApprover(deps: ActivityDeps, input: ApproverCheck): Promise<UserRow> {
  const { db } = deps;
  const user = await db<UserRow>('users').where({ id: input.approver.userId }).first();
  const approval = await new ApprovalRepository(db).getById(input.approvalId);
  const decision = deps.policy.decideApprove({
    approver: { id: user?.id ?? input.approver.userId, role: user?.role ?? '', org_id: user?.org_id ?? '' },
    approval: { org_id: input.orgId, requested_by: input.requestedBy, approver_roles: input.approverRoles, status: approval.status },
  });
  if (user && decision.allow) return user;
  await new AuditRepository(db).record({
    org_id: input.orgId,
    actor: `user:${input.approver.userId}`,
    action: 'approval.decision_rejected',
    subject_type: 'approval',
    subject_id: input.approvalId,
    invocation_id: approval.invocation_id,
    data: { reasons: user ? decision.reasons : ['unknown user'], policyVersion: decision.policyVersion },
  });
  throw reject(DecisionRejection.policyDenied, user ? decision.reasons.join('; ') || 'policy does not allow this approver' : 'the approver is not a known user');
}

export interface RecordDecisionInput {
  approvalId: string;
  orgId: string;
  requestedBy: string;
  approverRoles: string[];
  token: string;
  comment: string | null;
}

export interface RecordedDecision {
  status: 'approved' | 'denied';
  decidedBy: string;
  decidedAt: string;
  channel: DecisionChannel;
}

/** Activities behind a token-carrying decision: the workflow's keys, and the one write that records it. */
export function createApprovalDecisionActivities(deps: ActivityDeps) {
  const { db } = deps;

  return {
    /** The public signing keys, for a workflow that met a token signed by a key it does not hold. */
    async loadDecisionKeys(): Promise<DecisionKey[]> {
      return decisionKeys(db);
    },

    /**
     * Verifies the token again (jose, key from PostgreSQL, real clock), checks the approver against the
     * database and policy, then in ONE transaction consumes the token's jti, closes the approval and writes
     * its audit event with the channel. A second use of the token, or a decision on a closed approval,
     * rolls back and fails non-retryably; so does data PostgreSQL refuses (toApplicationFailure).
     */
    async recordDecision(input: RecordDecisionInput): Promise<RecordedDecision> {
      let claims;
      try {
        claims = await verifyDecisionTokenWithDb(db, input.token);
      } catch (err) {
        if (err instanceof DecisionTokenError) throw reject(TOKEN_REJECTION[err.reason], err.message);
        throw err;
      }
      if (claims.approval !== input.approvalId || claims.org !== input.orgId) throw reject(DecisionRejection.tokenMismatch, 'The decision token is for another approval');
      const approver = { userId: claims.sub, orgId: claims.org, role: claims.role };
      await assertApprover(deps, { ...input, approver });
      const status: RecordedDecision['status'] = claims.decision === 'approve' ? 'approved' : 'denied';
      try {
        return await db.transaction(async (trx: Knex) => {
          const row = await new ApprovalRepository(trx).decide(
            input.approvalId,
            { status, decided_by: claims.sub, comment: input.comment },
            { jti: claims.jti, decision: claims.decision, channel: claims.channel, kid: claims.kid, expires_at: new Date(claims.exp * 1000) },
          );
          if (!row) throw reject(DecisionRejection.notPending, 'The approval is no longer pending');
          await new AuditRepository(trx).record(
            {
              org_id: row.org_id,
              actor: `user:${claims.sub}`,
              action: `approval.${status}`,
              subject_type: 'approval',
              subject_id: row.id,
              invocation_id: row.invocation_id,
              data: { channel: claims.channel, tokenId: claims.jti, ...(input.comment ? { comment: input.comment } : {}) },
            },
            trx,
          );
          return { status, decidedBy: claims.sub, decidedAt: new Date(row.decided_at!).toISOString(), channel: claims.channel };
        });
      } catch (err) {
        if (permanentDbError(err)?.constraint === 'approval_decision_tokens_pkey') throw reject(DecisionRejection.tokenReused, 'This decision token was already used');
        throw err;
      }
    },
  };
}
