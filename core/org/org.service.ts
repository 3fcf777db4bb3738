import type { Knex } from 'knex';
import { AuditRepository } from '../db/audit.repository.js';
import { OrganizationRepository } from '../db/organization.repository.js';
import type { OrganizationRow } from '../db/rows.js';
import { auditEvent, type Actor } from '../identity/actor.js';
import type { EgressPolicy } from '../net/egress.js';
import { checkEgressField } from '../net/egress-field.js';
import type { OrgSettings } from './org-settings.js';

/** The organization door: its name and settings (approval webhook, approval threshold), changed with their audit event in one transaction. */
export class OrgService {
  private readonly orgs: OrganizationRepository;

  constructor(
    private readonly db: Knex,
    private readonly egress: EgressPolicy,
  ) {
    this.orgs = new OrganizationRepository(db);
  }

  get(orgId: string): Promise<OrganizationRow> {
    return this.orgs.get(orgId);
  }

  /** Renames the org and/or changes settings: null clears a setting, an absent key leaves it as it is. */
  async update(actor: Actor, patch: { name?: string; settings?: OrgSettings }): Promise<OrganizationRow> {
    const webhookUrl = patch.settings?.approvalWebhook?.url;
    // Checked again at every delivery (DNS may change); refused here so the admin hears it now.
    if (webhookUrl !== undefined) await checkEgressField(this.egress, webhookUrl, 'settings.approvalWebhook.url');
    return this.db.transaction(async (trx) => {
      const orgs = new OrganizationRepository(trx);
      // Locked: two changes to different settings must not drop each other's.
      const org = await orgs.get(actor.orgId, { forUpdate: true });
      const settings: Record<string, unknown> = { ...org.settings };
      for (const [k, v] of Object.entries(patch.settings ?? {})) {
        if (v === null) delete settings[k];
        else if (v !== undefined) settings[k] = v;
      }
      const fresh = await orgs.update(actor.orgId, { name: patch.name, settings });
      await new AuditRepository(trx).record(
        auditEvent(actor, 'org.updated', 'organization', actor.orgId, {
          name: patch.name,
          settings: Object.keys(patch.settings ?? {}),
        }),
        trx,
      );
      return fresh;
    });
  }
}
