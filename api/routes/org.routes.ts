import { Router } from 'express';
import { z } from 'zod';
import type { IdentityService } from '../../core/identity/identity.service.js';
import { badRequest } from '../../core/errors.js';
import { EgressDenied, type EgressPolicy } from '../../core/net/egress.js';
import { OrgSettingsSchema, publicSettings } from '../../core/org/org-settings.js';
import { principalOf, requireRole } from '../middleware/auth.js';
import { parseBody } from '../middleware/validate.js';

export const UpdateOrgSchema = z.strictObject({ name: z.string().trim().min(1).max(200).optional(), settings: OrgSettingsSchema.optional() });

/** GET/PATCH /v1/org: the caller's organization and its settings (approval webhook, approval threshold). */
export function orgRoutes(identity: IdentityService, egress: EgressPolicy): Router {
  const router = Router();
  const audit = identity.audit;

  router.get('/v1/org', async (req, res) => {
    const org = await identity.getOrganization(principalOf(req).orgId);
    res.json({ id: org.id, name: org.name, settings: publicSettings(org.settings) });
  });

  router.patch('/v1/org', requireRole('admin'), async (req, res) => {
    const body = parseBody(req, UpdateOrgSchema);
    const p = principalOf(req);
    const webhookUrl = body.settings?.approvalWebhook?.url;
    if (webhookUrl !== undefined) {
      // Checked again at every delivery (DNS may change); refused here so the admin hears it now.
      await egress.checkUrl(webhookUrl).catch((err: unknown) => {
        throw err instanceof EgressDenied ? badRequest('egress_denied', `settings.approvalWebhook.url: ${err.reason}`, { field: 'settings.approvalWebhook.url', ...err.target }) : err;
      });
    }
    const org = await identity.getOrganization(p.orgId);
    // null clears a setting; an absent key leaves it as it is.
    const settings: Record<string, unknown> = { ...org.settings };
    for (const [k, v] of Object.entries(body.settings ?? {})) {
      if (v === null) delete settings[k];
      else if (v !== undefined) settings[k] = v;
    }
    const fresh = await identity.updateOrganization(p.orgId, { name: body.name, settings });
    await audit.record({ org_id: p.orgId, actor: `user:${p.userId}`, action: 'org.updated', subject_type: 'organization', subject_id: p.orgId, request_id: req.id, data: { name: body.name, settings: Object.keys(body.settings ?? {}) } });
    res.json({ id: fresh.id, name: fresh.name, settings: publicSettings(fresh.settings) });
  });

  return router;
}
