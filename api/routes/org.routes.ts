import { Router } from 'express';
import { z } from 'zod';
import { OrgSettingsSchema } from '../../core/org/org-settings.js';
import type { OrgService } from '../../core/org/org.service.js';
import { actorOf, principalOf, requireRole } from '../middleware/auth.js';
import { parseBody } from '../middleware/validate.js';
import { orgView } from '../views/org.view.js';

export const UpdateOrgSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  settings: OrgSettingsSchema.optional(),
});

/** GET/PATCH /v1/org: the caller's organization and its settings (approval webhook, approval threshold). */
export function orgRoutes(orgs: OrgService): Router {
  const router = Router();

  router.get('/v1/org', async (req, res) => {
    res.json(orgView(await orgs.get(principalOf(req).orgId)));
  });

  router.patch('/v1/org', requireRole('admin'), async (req, res) => {
    const body = parseBody(req, UpdateOrgSchema);
    res.json(orgView(await orgs.update(actorOf(req), body)));
  });

  return router;
}
