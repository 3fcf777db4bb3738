import type { Knex } from 'knex';
import { notFound } from '../errors.js';
import { newestFirst, type Page } from './page.js';
import {
  TERMINAL_INVOCATION_STATUSES,
  type InvocationProgress,
  type InvocationStatus,
} from '../../contracts/invocation.contract.js';
import type { ApprovalRow, InvocationRow } from './rows.js';

export type NewInvocation = Pick<
  InvocationRow,
  | 'id'
  | 'org_id'
  | 'agent_id'
  | 'capability'
  | 'requested_by'
  | 'input'
  | 'idempotency_key'
  | 'request_hash'
  | 'workflow_id'
> &
  Partial<Pick<InvocationRow, 'rate_admitted' | 'sandbox_id' | 'pipeline_id'>>;

export type InvocationPage = Page<InvocationRow>;

/** invocations: the read model the workflow keeps current at every transition. */
export class InvocationRepository {
  constructor(private readonly db: Knex) {}

  /** Inserts, or returns the row already holding this org's idempotency key (`created: false`). */
  async createOrGet(row: NewInvocation): Promise<{ row: InvocationRow; created: boolean }> {
    const inserted = await this.db<InvocationRow>('invocations')
      .insert({ ...row, input: JSON.stringify(row.input) as never, status: 'running' })
      .onConflict(['org_id', 'idempotency_key'])
      .ignore()
      .returning('*');
    if (inserted[0]) return { row: inserted[0], created: true };
    const existing = await this.db<InvocationRow>('invocations')
      .where({ org_id: row.org_id, idempotency_key: row.idempotency_key! })
      .first();
    return { row: existing!, created: false };
  }

  async get(orgId: string, id: string): Promise<InvocationRow> {
    const row = await this.db<InvocationRow>('invocations').where({ org_id: orgId, id }).first();
    if (!row) throw notFound('invocation', id);
    return row;
  }

  /** By id alone: for activities, which act for the workflow, not for a caller. */
  async getById(id: string): Promise<InvocationRow> {
    const row = await this.db<InvocationRow>('invocations').where({ id }).first();
    if (!row) throw notFound('invocation', id);
    return row;
  }

  async update(id: string, patch: Partial<Omit<InvocationRow, 'id' | 'org_id'>>): Promise<void> {
    await this.updateQuery(id, patch);
  }

  /** The update as a query not run yet: to run it, or to make it one statement with its audit (AuditRepository.recordWith). */
  updateQuery(id: string, patch: Partial<Omit<InvocationRow, 'id' | 'org_id'>>): Knex.QueryBuilder {
    const json = (v: unknown) => (v === undefined ? undefined : JSON.stringify(v));
    return this.db('invocations')
      .where({ id })
      .update({
        ...patch,
        decision: json(patch.decision),
        result: json(patch.result),
        error: json(patch.error),
        progress: json(patch.progress),
        updated_at: this.db.fn.now(),
      });
  }

  /**
   * The latest progress its tool reported; a no-op once the invocation ended (a write that races the end
   * waits for its row lock, sees the terminal status and changes nothing). True if it was written.
   */
  async recordProgress(id: string, progress: InvocationProgress): Promise<boolean> {
    const rows = await this.db('invocations')
      .where({ id })
      .whereNotIn('status', TERMINAL_INVOCATION_STATUSES)
      .update({ progress: JSON.stringify(progress), updated_at: this.db.fn.now() })
      .returning('id');
    return rows.length > 0;
  }

  /** running → pending_approval with its approval; a no-op once the invocation moved on (e.g. cancelled). */
  async markPendingApproval(id: string, approvalId: string): Promise<void> {
    await this.db('invocations')
      .where({ id, status: 'running' })
      .update({ status: 'pending_approval', approval_id: approvalId, updated_at: this.db.fn.now() });
  }

  /** Whether the org already recorded an invocation under this idempotency key (a replay takes no rate tokens). */
  async hasIdempotencyKey(orgId: string, idempotencyKey: string): Promise<boolean> {
    return (
      (await this.db('invocations').where({ org_id: orgId, idempotency_key: idempotencyKey }).first('id')) !== undefined
    );
  }

  /**
   * The rate-admission handshake (core/limits/execution-limits.ts): clears the flag saying the API took this
   * invocation's rate tokens, in the statement that finds it, so only one caller ever sees true. With
   * `maxAgeMs`, only an admission younger than that counts (an old one's tokens have refilled anyway).
   */
  async takeRateAdmission(id: string, maxAgeMs?: number): Promise<boolean> {
    const q = this.db('invocations').where({ id, rate_admitted: true });
    if (maxAgeMs !== undefined)
      q.andWhere('created_at', '>=', this.db.raw(`now() - ?::float8 * interval '1 millisecond'`, [maxAgeMs]));
    const rows = await q.update({ rate_admitted: false }).returning('id');
    return rows.length > 0;
  }

  /** Newest first; the cursor is opaque (the insertion sequence of the last row). */
  async list(
    orgId: string,
    filter: { agentId?: string; requestedBy?: string; status?: InvocationStatus; limit: number; cursor?: string },
  ): Promise<InvocationPage> {
    const q = this.db<InvocationRow>('invocations').where({ org_id: orgId });
    if (filter.agentId) q.andWhere({ agent_id: filter.agentId });
    if (filter.requestedBy) q.andWhere({ requested_by: filter.requestedBy });
    if (filter.status) q.andWhere({ status: filter.status });
    return newestFirst<InvocationRow>(q, 'seq', filter.limit, filter.cursor);
  }

  /** The invocations a pipeline's steps made, oldest first. */
  forPipeline(orgId: string, pipelineId: string): Promise<InvocationRow[]> {
    return this.db<InvocationRow>('invocations')
      .where({ org_id: orgId, pipeline_id: pipelineId })
      .orderBy('seq', 'asc');
  }

  async approvalFor(invocation: InvocationRow): Promise<ApprovalRow | undefined> {
    if (!invocation.approval_id) return undefined;
    return this.db<ApprovalRow>('approvals').where({ id: invocation.approval_id }).first();
  }
}
