import type { Knex } from 'knex';
import { TERMINAL_SANDBOX_STATUSES, type SandboxStatus } from '../../contracts/sandbox.contract.js';
import { conflict, notFound } from '../errors.js';
import { newestFirst, type Page } from './page.js';
import type { SandboxResources, SandboxRow, SandboxTargetRow } from './rows.js';

/** The org-registered sandbox targets. */
export class SandboxTargetRepository {
  constructor(private readonly db: Knex) {}

  async create(row: Omit<SandboxTargetRow, 'id' | 'created_at'>): Promise<SandboxTargetRow> {
    const [created] = await this.db<SandboxTargetRow>('sandbox_targets')
      .insert(row)
      .returning('*')
      .catch((err: unknown) => {
        if ((err as { code?: string }).code === '23505')
          throw conflict(`A sandbox target named "${row.name}" already exists`, { name: row.name });
        throw err;
      });
    return created!;
  }

  /** Without the (large) specs. */
  list(orgId: string): Promise<Omit<SandboxTargetRow, 'spec'>[]> {
    return this.db('sandbox_targets')
      .where({ org_id: orgId })
      .select('id', 'org_id', 'name', 'title', 'spec_hash', 'base_url', 'created_by', 'created_at')
      .orderBy('name');
  }

  find(orgId: string, name: string): Promise<SandboxTargetRow | undefined> {
    return this.db<SandboxTargetRow>('sandbox_targets').where({ org_id: orgId, name }).first();
  }

  async remove(orgId: string, name: string): Promise<void> {
    const n = await this.db('sandbox_targets').where({ org_id: orgId, name }).delete();
    if (n === 0) throw notFound('sandbox target', name);
  }
}

/** Sandboxes: one row per sandbox, from request to teardown. */
export class SandboxRepository {
  constructor(private readonly db: Knex) {}

  async create(
    row: Pick<
      SandboxRow,
      | 'id'
      | 'org_id'
      | 'agent_id'
      | 'target'
      | 'mode'
      | 'status'
      | 'config'
      | 'ttl_seconds'
      | 'workflow_id'
      | 'requested_by'
    >,
  ): Promise<SandboxRow> {
    const [created] = await this.db<SandboxRow>('sandboxes').insert(row).returning('*');
    return created!;
  }

  async get(orgId: string, id: string): Promise<SandboxRow> {
    const row = await this.db<SandboxRow>('sandboxes').where({ org_id: orgId, id }).first();
    if (!row) throw notFound('sandbox', id);
    return row;
  }

  async getById(id: string): Promise<SandboxRow> {
    const row = await this.db<SandboxRow>('sandboxes').where({ id }).first();
    if (!row) throw notFound('sandbox', id);
    return row;
  }

  list(
    orgId: string,
    filter: { agentId?: string; status?: SandboxStatus; limit: number; cursor?: string },
  ): Promise<Page<SandboxRow>> {
    const q = this.db<SandboxRow>('sandboxes').where({ org_id: orgId });
    if (filter.agentId) q.andWhere({ agent_id: filter.agentId });
    if (filter.status) q.andWhere({ status: filter.status });
    return newestFirst<SandboxRow>(q, 'seq', filter.limit, filter.cursor);
  }

  /** Sandboxes of the org that hold (or are about to hold) resources: what its concurrency limit counts. */
  async countLive(orgId: string): Promise<number> {
    const [{ count }] = (await this.db('sandboxes')
      .where({ org_id: orgId })
      .whereIn('status', ['pending_approval', 'provisioning', 'running', 'stopping'])
      .count({ count: '*' })) as [{ count: string }];
    return Number(count);
  }

  async update(id: string, patch: Partial<Omit<SandboxRow, 'id' | 'org_id'>>): Promise<void> {
    await this.db('sandboxes')
      .where({ id })
      .update({ ...patch, updated_at: this.db.fn.now() });
  }

  /** Running with its endpoint, unless it was stopped or torn down meanwhile (false then). */
  async markRunning(
    id: string,
    patch: Pick<SandboxRow, 'endpoint' | 'mcp_server_id' | 'started_at' | 'last_used_at' | 'expires_at'>,
  ): Promise<boolean> {
    const n = await this.db('sandboxes')
      .where({ id, status: 'provisioning' })
      .whereNull('ended_at')
      .update({ ...patch, status: 'running', updated_at: this.db.fn.now() });
    return n > 0;
  }

  /**
   * Records the approval a connected sandbox waits for. Written in the transaction that opens the approval
   * row (core/approvals/approval-records.ts), so whoever reads the id finds the approval.
   */
  async markPendingApproval(id: string, approvalId: string): Promise<void> {
    await this.db('sandboxes')
      .where({ id, status: 'pending_approval' })
      .update({ approval_id: approvalId, updated_at: this.db.fn.now() });
  }

  /** `stopping`, unless it already ended (teardown may have finished first). */
  async markStopping(id: string): Promise<void> {
    await this.db('sandboxes')
      .where({ id })
      .whereNotIn('status', [...TERMINAL_SANDBOX_STATUSES])
      .update({ status: 'stopping', updated_at: this.db.fn.now() });
  }

  /** Merges into `resources` (each key written as soon as the thing it names exists). */
  /** One more native service's process, beside the others (several start in parallel: merged in SQL). */
  async addServiceProcess(id: string, service: string, record: NonNullable<SandboxResources['services']>[string]) {
    await this.db('sandboxes')
      .where({ id })
      .update({
        resources: this.db.raw(
          `jsonb_set(resources, '{services}', coalesce(resources->'services', '{}'::jsonb) || jsonb_build_object(?::text, ?::jsonb))`,
          [service, JSON.stringify(record)],
        ),
        updated_at: this.db.fn.now(),
      });
  }

  async addResources(id: string, resources: SandboxResources): Promise<void> {
    await this.db('sandboxes')
      .where({ id })
      .update({
        resources: this.db.raw('resources || ?::jsonb', [JSON.stringify(resources)]),
        updated_at: this.db.fn.now(),
      });
  }

  /** A call reached the sandbox: its idle clock starts again. */
  async touch(id: string): Promise<void> {
    await this.db('sandboxes').where({ id }).update({ last_used_at: this.db.fn.now() });
  }

  /** Ended sandboxes that still record a resource: what a lost worker left (the reconciler's list). */
  leftovers(): Promise<SandboxRow[]> {
    return this.db<SandboxRow>('sandboxes')
      .whereIn('status', ['stopped', 'expired', 'failed'])
      .andWhereRaw("resources <> '{}'::jsonb");
  }
}
