import type { Knex } from 'knex';
import { notFound } from '../errors.js';
import type { ApprovalStatus } from '../../contracts/approval.contract.js';
import type { ApprovalRow } from './rows.js';

export type NewApproval = Pick<
  ApprovalRow,
  | 'id'
  | 'org_id'
  | 'subject_type'
  | 'subject_id'
  | 'invocation_id'
  | 'requested_by'
  | 'approver_roles'
  | 'context'
  | 'workflow_id'
  | 'expires_at'
>;

/** approvals: kept current by approvalWorkflow's activities; read by the API. */
export class ApprovalRepository {
  constructor(private readonly db: Knex) {}

  /** Idempotent: an activity retry after a lost response finds the row already there. */
  async open(row: NewApproval): Promise<{ row: ApprovalRow; created: boolean }> {
    const inserted = await this.db<ApprovalRow>('approvals')
      .insert({
        ...row,
        approver_roles: JSON.stringify(row.approver_roles) as never,
        context: JSON.stringify(row.context) as never,
      })
      .onConflict('id')
      .ignore()
      .returning('*');
    if (inserted[0]) return { row: inserted[0], created: true };
    return { row: (await this.db<ApprovalRow>('approvals').where({ id: row.id }).first())!, created: false };
  }

  async close(
    id: string,
    patch: { status: Exclude<ApprovalStatus, 'pending'>; decided_by?: string | null; comment?: string | null },
  ): Promise<void> {
    await this.db('approvals')
      .where({ id, status: 'pending' })
      .update({ ...patch, decided_at: this.db.fn.now() });
  }

  /**
   * Records a token-carrying decision: consumes the token's jti (its primary key fails a second use) and
   * closes the pending row, in the caller's transaction. Undefined when the row is no longer pending.
   */
  async decide(
    id: string,
    decision: { status: 'approved' | 'denied'; decided_by: string; comment: string | null },
    token: { jti: string; decision: string; channel: string; kid: string; expires_at: Date },
  ): Promise<ApprovalRow | undefined> {
    await this.db('approval_decision_tokens').insert({ ...token, approval_id: id, user_id: decision.decided_by });
    const [row] = await this.db<ApprovalRow>('approvals')
      .where({ id, status: 'pending' })
      .update({ ...decision, decided_at: this.db.fn.now() as unknown as Date })
      .returning('*');
    return row;
  }

  async get(orgId: string, id: string): Promise<ApprovalRow> {
    const row = await this.db<ApprovalRow>('approvals').where({ org_id: orgId, id }).first();
    if (!row) throw notFound('approval', id);
    return row;
  }

  async getById(id: string): Promise<ApprovalRow> {
    const row = await this.db<ApprovalRow>('approvals').where({ id }).first();
    if (!row) throw notFound('approval', id);
    return row;
  }

  async list(orgId: string, filter: { status?: ApprovalStatus; limit: number }): Promise<ApprovalRow[]> {
    const q = this.db<ApprovalRow>('approvals').where({ org_id: orgId });
    if (filter.status) q.andWhere({ status: filter.status });
    return q.orderBy('created_at', 'desc').limit(filter.limit);
  }
}
