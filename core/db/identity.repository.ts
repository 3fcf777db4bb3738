import type { Knex } from 'knex';
import type { OrganizationRow, UserRow } from './rows.js';

/** Users and organizations by id, for steps that act for a workflow rather than for a caller. */
export class IdentityRepository {
  constructor(private readonly db: Knex) {}

  findUser(id: string): Promise<UserRow | undefined> {
    return this.db<UserRow>('users').where({ id }).first();
  }

  findOrganization(id: string): Promise<OrganizationRow | undefined> {
    return this.db<OrganizationRow>('organizations').where({ id }).first();
  }
}
