import type { Knex } from 'knex';
import { AuditRepository } from '../db/audit.repository.js';
import { OrganizationRepository } from '../db/organization.repository.js';
import type { ApiKeyRow, OrganizationRow, UserRow } from '../db/rows.js';
import { forbidden, notFound } from '../errors.js';
import type { Actor } from './actor.js';
import { API_KEY_PATTERN, generateApiKey, hashApiKey } from './api-key.js';
import type { Role } from './roles.js';

/** Who is calling: the key's user, role and org. Every request is scoped by `orgId`. */
export interface Principal {
  orgId: string;
  userId: string;
  userName: string;
  role: Role;
  keyId: string;
}

export type AuthResult =
  { ok: true; principal: Principal } | { ok: false; reason: 'malformed' | 'unknown' | 'revoked' };

export interface IssuedKey {
  id: string;
  key: string;
  prefix: string;
  name: string;
  orgId: string;
  userId: string;
  role: Role;
}

export type KeySummary = Pick<
  ApiKeyRow,
  'id' | 'name' | 'key_prefix' | 'created_at' | 'last_used_at' | 'revoked_at'
> & {
  user_id: string;
  role: Role;
};

/** Organizations, users and API keys: shared by the API (auth, key routes) and the `collexa` CLI. */
export class IdentityService {
  readonly audit: AuditRepository;

  constructor(private readonly db: Knex) {
    this.audit = new AuditRepository(db);
  }

  /** Creates an org with its first admin user and key. The key is returned once and never stored. */
  async createOrganization(name: string, actor = 'cli'): Promise<{ org: OrganizationRow; adminKey: IssuedKey }> {
    return this.db.transaction(async (trx) => {
      const [org] = await trx<OrganizationRow>('organizations').insert({ name }).returning('*');
      await this.audit.record(
        {
          org_id: org!.id,
          actor,
          action: 'org.created',
          subject_type: 'organization',
          subject_id: org!.id,
          data: { name },
        },
        trx,
      );
      const adminKey = await this.issueKey(trx, { orgId: org!.id, role: 'admin', name: 'admin' }, actor);
      return { org: org!, adminKey };
    });
  }

  async listOrganizations(): Promise<Pick<OrganizationRow, 'id' | 'name' | 'created_at'>[]> {
    return this.db<OrganizationRow>('organizations').orderBy('created_at', 'asc').select('id', 'name', 'created_at');
  }

  getOrganization(orgId: string): Promise<OrganizationRow> {
    return new OrganizationRepository(this.db).get(orgId);
  }

  /** Issues a key for a new user with `role`, or for an existing user of the org when `userId` is given. */
  async createKey(
    input: { orgId: string; role?: Role; name?: string; userId?: string },
    actor = 'cli',
  ): Promise<IssuedKey> {
    await this.getOrganization(input.orgId);
    return this.db.transaction((trx) => this.issueKey(trx, input, actor));
  }

  /**
   * A key an admin issues through the API: for a new user, or for the admin themselves. A key for someone
   * else would let an admin act (approve, say) as them, so admins create users with their first key instead.
   */
  async createKeyAsAdmin(admin: Actor, input: { role?: Role; name?: string; userId?: string }): Promise<IssuedKey> {
    if (input.userId !== undefined && input.userId !== admin.userId)
      throw forbidden(
        'An admin may not issue a key for another existing user; create a new user (omit userId) instead',
        { userId: input.userId },
      );
    return this.createKey({ orgId: admin.orgId, ...input }, `user:${admin.userId}`);
  }

  private async issueKey(
    trx: Knex,
    input: { orgId: string; role?: Role; name?: string; userId?: string },
    actor: string,
  ): Promise<IssuedKey> {
    let user: UserRow | undefined;
    if (input.userId) {
      user = await trx<UserRow>('users').where({ id: input.userId, org_id: input.orgId }).first();
      if (!user) throw notFound('user', input.userId);
    } else {
      const role = input.role ?? 'developer';
      [user] = await trx<UserRow>('users')
        .insert({ org_id: input.orgId, name: input.name ?? `${role} key`, role })
        .returning('*');
    }
    const { key, prefix, hash } = generateApiKey();
    const name = input.name ?? user!.name;
    const [row] = await trx<ApiKeyRow>('api_keys')
      .insert({ org_id: input.orgId, user_id: user!.id, name, key_prefix: prefix, key_hash: hash })
      .returning('*');
    await this.audit.record(
      {
        org_id: input.orgId,
        actor,
        action: 'api_key.created',
        subject_type: 'api_key',
        subject_id: row!.id,
        data: { role: user!.role, name, prefix },
      },
      trx,
    );
    return { id: row!.id, key, prefix, name, orgId: input.orgId, userId: user!.id, role: user!.role };
  }

  /** Revokes a key; scoped to `orgId` when given (API), global for the operator CLI. Idempotent. */
  async revokeKey(keyId: string, opts: { orgId?: string; actor?: string } = {}): Promise<KeySummary> {
    const q = this.db<ApiKeyRow>('api_keys').where({ id: keyId });
    if (opts.orgId) q.andWhere({ org_id: opts.orgId });
    const existing = await q.first();
    if (!existing) throw notFound('api key', keyId);
    if (!existing.revoked_at) {
      await this.db.transaction(async (trx) => {
        await trx<ApiKeyRow>('api_keys')
          .where({ id: keyId })
          .update({ revoked_at: trx.fn.now() as unknown as Date });
        await this.audit.record(
          {
            org_id: existing.org_id,
            actor: opts.actor ?? 'cli',
            action: 'api_key.revoked',
            subject_type: 'api_key',
            subject_id: keyId,
          },
          trx,
        );
      });
    }
    return (await this.listKeys(existing.org_id)).find((k) => k.id === keyId)!;
  }

  async listKeys(orgId: string): Promise<KeySummary[]> {
    return this.db('api_keys as k')
      .join('users as u', 'u.id', 'k.user_id')
      .where('k.org_id', orgId)
      .orderBy('k.created_at', 'asc')
      .select(
        'k.id',
        'k.name',
        'k.key_prefix',
        'k.created_at',
        'k.last_used_at',
        'k.revoked_at',
        'k.user_id',
        'u.role',
      );
  }

  /** Resolves a presented key to its principal; never says more than why it failed. */
  async authenticate(presented: string): Promise<AuthResult> {
    if (!API_KEY_PATTERN.test(presented)) return { ok: false, reason: 'malformed' };
    const row = await this.db('api_keys as k')
      .join('users as u', 'u.id', 'k.user_id')
      .where('k.key_hash', hashApiKey(presented))
      .first('k.id', 'k.org_id', 'k.revoked_at', 'k.last_used_at', 'u.id as user_id', 'u.name as user_name', 'u.role');
    if (!row) return { ok: false, reason: 'unknown' };
    if (row.revoked_at) return { ok: false, reason: 'revoked' };
    // Coarse last-used tracking: at most one write per key a minute keeps auth off the write path.
    if (!row.last_used_at || Date.now() - new Date(row.last_used_at).getTime() > 60_000) {
      void this.db('api_keys')
        .where({ id: row.id })
        .update({ last_used_at: this.db.fn.now() })
        .catch(() => undefined);
    }
    return {
      ok: true,
      principal: { orgId: row.org_id, userId: row.user_id, userName: row.user_name, role: row.role, keyId: row.id },
    };
  }
}
