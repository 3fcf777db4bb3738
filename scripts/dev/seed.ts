import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Db } from '../../core/db/knex.js';
import { IdentityService } from '../../core/identity/identity.service.js';

export interface DevCredentials {
  orgId: string;
  orgName: string;
  adminKey: string;
  approverKey: string;
}

/**
 * Seeds the demo org with an admin and an approver key, once. The keys are written (0600) to `file`,
 * git-ignored, because only their hashes are in the database. Returns them and whether they are new.
 */
export async function seedDevOrg(db: Db, file: string): Promise<{ credentials: DevCredentials; created: boolean }> {
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as DevCredentials;
    const org = await db('organizations').where({ id: saved.orgId }).first();
    if (org) return { credentials: saved, created: false };
  }
  const identity = new IdentityService(db);
  const { org, adminKey } = await identity.createOrganization('Demo', 'dev-seed');
  const approver = await identity.createKey({ orgId: org.id, role: 'approver', name: 'demo approver' }, 'dev-seed');
  const credentials = { orgId: org.id, orgName: org.name, adminKey: adminKey.key, approverKey: approver.key };
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return { credentials, created: true };
}
