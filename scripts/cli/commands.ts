import { z } from 'zod';
import type { IdentityService } from '../../core/identity/identity.service.js';
import { ROLES, type Role } from '../../core/identity/roles.js';

/** A usage mistake: printed with the help text, exit code 2. */
export class UsageError extends Error {}

export const HELP = `collexa — operator CLI for Collexa (uses DATABASE_URL, default: the npm start database; approvals use the API)

Usage:
  collexa org create NAME [--json]                         create an org; prints its id and an admin key
  collexa org list [--json]                                list orgs
  collexa key create --org ID --role ROLE [--name NAME] [--json]
                                                           issue a key for a new user (roles: ${ROLES.join(', ')})
  collexa key create --org ID --user USER_ID [--name NAME] issue another key for an existing user
  collexa key list --org ID [--json]                       list an org's keys (never the keys themselves)
  collexa key revoke ID [--json]                           revoke a key (idempotent)
  collexa approvals token ID --decision approve|deny [--api-url URL] [--json]
                                                           a single-use decision token (5 min) for deciding through
                                                           Temporal; uses the API with the approver's key in
                                                           COLLEXA_API_KEY (COLLEXA_API_URL, default localhost:3000)

Keys are shown once, when created; only their hash is stored.`;

export interface Parsed {
  positionals: string[];
  flags: Record<string, string | boolean | undefined>;
}

const uuid = (what: string, v: unknown) => {
  const r = z.uuid().safeParse(v);
  if (!r.success) throw new UsageError(`${what} must be a UUID, got ${JSON.stringify(v ?? '')}`);
  return r.data;
};

/** Runs one command and returns what to print: `text` for people, `json` for --json. */
export async function runCommand(
  identity: IdentityService,
  { positionals, flags }: Parsed,
): Promise<{ text: string; json: unknown }> {
  const [group, action, ...rest] = positionals;
  const cmd = `${group ?? ''} ${action ?? ''}`.trim();
  switch (cmd) {
    case 'org create': {
      const name = rest.join(' ').trim();
      if (!name) throw new UsageError('org create needs a NAME');
      if (name.length > 200) throw new UsageError('NAME is longer than 200 characters');
      const { org, adminKey } = await identity.createOrganization(name);
      return {
        json: {
          orgId: org.id,
          name: org.name,
          adminKey: { id: adminKey.id, key: adminKey.key, userId: adminKey.userId },
        },
        text: `org ${org.name} created\n  org id     ${org.id}\n  admin key  ${adminKey.key}\n(store the key now: it is not shown again)`,
      };
    }
    case 'org list': {
      const orgs = await identity.listOrganizations();
      return { json: orgs, text: orgs.map((o) => `${o.id}  ${o.name}`).join('\n') || '(no orgs)' };
    }
    case 'key create': {
      const orgId = uuid('--org', flags.org);
      const userId = flags.user === undefined ? undefined : uuid('--user', flags.user);
      const role = flags.role;
      if (userId === undefined && (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role))) {
        throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
      }
      if (flags.name !== undefined && (typeof flags.name !== 'string' || !flags.name.trim()))
        throw new UsageError('--name needs a value');
      const key = await identity.createKey({
        orgId,
        role: role as Role | undefined,
        userId,
        name: flags.name as string | undefined,
      });
      return {
        json: key,
        text: `key ${key.id} created for ${key.role} ${key.userId}\n  key  ${key.key}\n(store it now: it is not shown again)`,
      };
    }
    case 'key list': {
      const keys = await identity.listKeys(uuid('--org', flags.org));
      return {
        json: keys,
        text:
          keys
            .map((k) => `${k.id}  ${k.key_prefix}…  ${k.role.padEnd(9)} ${k.name}${k.revoked_at ? '  (revoked)' : ''}`)
            .join('\n') || '(no keys)',
      };
    }
    case 'key revoke': {
      const key = await identity.revokeKey(uuid('key ID', rest[0]));
      return { json: key, text: `key ${key.id} revoked` };
    }
    default:
      throw new UsageError(cmd ? `unknown command "${cmd}"` : 'no command given');
  }
}
