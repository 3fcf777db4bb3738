import type { Knex } from 'knex';
import { notFound } from '../errors.js';
import type { OrganizationRow } from './rows.js';

/** organizations: read by every request's principal, changed by its admins. */
export class OrganizationRepository {
  constructor(private readonly db: Knex) {}

  /** The org (404 if there is none); `forUpdate` locks it for the rest of the caller's transaction. */
  async get(orgId: string, opts: { forUpdate?: boolean } = {}): Promise<OrganizationRow> {
    const q = this.db<OrganizationRow>('organizations').where({ id: orgId });
    if (opts.forUpdate) q.forUpdate();
    const org = await q.first();
    if (!org) throw notFound('organization', orgId);
    return org;
  }

  /** Renames the org and/or replaces its settings; returns the fresh row. */
  async update(orgId: string, patch: { name?: string; settings?: Record<string, unknown> }): Promise<OrganizationRow> {
    await this.db('organizations')
      .where({ id: orgId })
      .update({
        ...(patch.name ? { name: patch.name } : {}),
        ...(patch.settings ? { settings: JSON.stringify(patch.settings) } : {}),
      });
    return this.get(orgId);
  }
}
