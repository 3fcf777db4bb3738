import type { Knex } from 'knex';
import { newestFirst, type Page } from './page.js';
import type { AuditEventRow } from './rows.js';

export type NewAuditEvent = Omit<
  AuditEventRow,
  'id' | 'created_at' | 'subject_type' | 'subject_id' | 'invocation_id' | 'request_id' | 'data'
> &
  Partial<Pick<AuditEventRow, 'subject_type' | 'subject_id' | 'invocation_id' | 'request_id' | 'data'>>;

/** Append-only access to audit_events. */
export class AuditRepository {
  constructor(private readonly db: Knex) {}

  async record(event: NewAuditEvent, trx: Knex = this.db): Promise<AuditEventRow> {
    const [row] = await trx<AuditEventRow>('audit_events').insert(event).returning('*');
    return row!;
  }

  /**
   * A change and the audit events that describe it as one statement (`with changed as (<change>) insert into
   * audit_events …`): as atomic as a transaction around both, one round trip instead of four (begin, change,
   * insert, commit). PostgreSQL runs a data-modifying WITH once whether or not the insert reads it.
   */
  async recordWith(
    change: Knex.QueryBuilder,
    // At least one event: a change without its audit has nothing to fold it into.
    events: [NewAuditEvent, ...NewAuditEvent[]] | [...NewAuditEvent[], NewAuditEvent],
  ): Promise<void> {
    await this.db.with('changed', change).insert(events).into('audit_events');
  }

  /** The org's events newest first, `limit` at a time after `cursor` (opaque: the last event's id). */
  async list(
    orgId: string,
    filter: { invocationId?: string; limit?: number; cursor?: string } = {},
  ): Promise<Page<AuditEventRow>> {
    const q = this.db<AuditEventRow>('audit_events').where({ org_id: orgId });
    if (filter.invocationId) q.andWhere({ invocation_id: filter.invocationId });
    return newestFirst<AuditEventRow>(q, 'id', filter.limit ?? 100, filter.cursor);
  }
}
