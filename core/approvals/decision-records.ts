import type { Knex } from 'knex';
import {
  DecisionRejection,
  type Approver,
  type DecisionChannel,
  type DecisionKey,
} from '../../contracts/approval.contract.js';
import { ApprovalRepository } from '../db/approval.repository.js';
import { AuditRepository } from '../db/audit.repository.js';
import { IdentityRepository } from '../db/identity.repository.js';
import { permanentDbError } from '../db/pg-errors.js';
import type { UserRow } from '../db/rows.js';
import { AppError } from '../errors.js';
import { publicJwks } from '../manifests/signing-keys.js';
import type { PolicyEngine } from '../policy/engine.js';
import { DecisionTokenError, verifyDecisionTokenWithDb } from './decision-token.js';

// A rejected decision is final (4xx): the workflow's handler reports it to the caller and the approval stays pending.
const TOKEN_REJECTION = {
  invalid: [DecisionRejection.tokenInvalid, 403],
  expired: [DecisionRejection.tokenExpired, 403],
  unknown_kid: [DecisionRejection.tokenUnknownKid, 409],
} as const;

/** The public signing keys (P-256 coordinates by kid) a workflow verifies decision tokens with. */
export async function decisionKeys(db: Knex): Promise<DecisionKey[]> {
  const { keys } = await publicJwks(db);
  return keys
    .filter((k) => k.kty === 'EC' && k.crv === 'P-256' && k.kid && k.x && k.y)
    .map((k) => ({ kid: k.kid!, x: k.x!, y: k.y! }));
}

export interface ApproverCheck {
  approvalId: string;
  approver: Approver;
  approverRoles: string[];
  requestedBy: string;
  orgId: string;
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

/** The authoritative side of a decision: who may decide (database + policy), and the one write that records it. */
export class DecisionRecords {
  constructor(
    private readonly db: Knex,
    private readonly policy: PolicyEngine,
  ) {}

  /** The approver exists, in this org, and policy lets them decide; a refusal is audited. */
  async assertApprover(input: ApproverCheck): Promise<UserRow> {
    const user = await new IdentityRepository(this.db).findUser(input.approver.userId);
    const approval = await new ApprovalRepository(this.db).getById(input.approvalId);
    const decision = this.policy.decideApprove({
      approver: { id: user?.id ?? input.approver.userId, role: user?.role ?? '', org_id: user?.org_id ?? '' },
      approval: {
        org_id: input.orgId,
        requested_by: input.requestedBy,
        approver_roles: input.approverRoles,
        status: approval.status,
      },
    });
    if (user && decision.allow) return user;
    await new AuditRepository(this.db).record({
      org_id: input.orgId,
      actor: `user:${input.approver.userId}`,
      action: 'approval.decision_rejected',
      subject_type: 'approval',
      subject_id: input.approvalId,
      invocation_id: approval.invocation_id,
      data: { reasons: user ? decision.reasons : ['unknown user'], policyVersion: decision.policyVersion },
    });
    throw new AppError(
      DecisionRejection.policyDenied,
      403,
      user ? decision.reasons.join('; ') || 'policy does not allow this approver' : 'the approver is not a known user',
    );
  }

  /**
   * Verifies the token again (jose, key from PostgreSQL, real clock), checks the approver against the
   * database and policy, then in ONE transaction consumes the token's jti, closes the approval and writes
   * its audit event with the channel. A second use of the token, or a decision on a closed approval,
   * rolls back and is refused.
   */
  async record(input: RecordDecisionInput): Promise<RecordedDecision> {
    let claims;
    try {
      claims = await verifyDecisionTokenWithDb(this.db, input.token);
    } catch (err) {
      if (!(err instanceof DecisionTokenError)) throw err;
      const [code, status] = TOKEN_REJECTION[err.reason];
      throw new AppError(code, status, err.message);
    }
    if (claims.approval !== input.approvalId || claims.org !== input.orgId)
      throw new AppError(DecisionRejection.tokenMismatch, 403, 'The decision token is for another approval');
    await this.assertApprover({ ...input, approver: { userId: claims.sub, orgId: claims.org, role: claims.role } });
    const status: RecordedDecision['status'] = claims.decision === 'approve' ? 'approved' : 'denied';
    try {
      return await this.db.transaction(async (trx: Knex) => {
        const row = await new ApprovalRepository(trx).decide(
          input.approvalId,
          { status, decided_by: claims.sub, comment: input.comment },
          {
            jti: claims.jti,
            decision: claims.decision,
            channel: claims.channel,
            kid: claims.kid,
            expires_at: new Date(claims.exp * 1000),
          },
        );
        if (!row) throw new AppError(DecisionRejection.notPending, 409, 'The approval is no longer pending');
        await new AuditRepository(trx).record(
          {
            org_id: row.org_id,
            actor: `user:${claims.sub}`,
            action: `approval.${status}`,
            subject_type: 'approval',
            subject_id: row.id,
            invocation_id: row.invocation_id,
            data: {
              channel: claims.channel,
              tokenId: claims.jti,
              ...(input.comment ? { comment: input.comment } : {}),
            },
          },
          trx,
        );
        return {
          status,
          decidedBy: claims.sub,
          decidedAt: new Date(row.decided_at!).toISOString(),
          channel: claims.channel,
        };
      });
    } catch (err) {
      if (permanentDbError(err)?.constraint === 'approval_decision_tokens_pkey')
        throw new AppError(DecisionRejection.tokenReused, 409, 'This decision token was already used');
      throw err;
    }
  }
}
