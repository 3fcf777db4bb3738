import { Router } from 'express';
import { z } from 'zod';
import type { IdentityService } from '../../core/identity/identity.service.js';
import { ROLES } from '../../core/identity/roles.js';
import { actorOf, principalOf, requireRole } from '../middleware/auth.js';
import { parseBody, parseParam } from '../middleware/validate.js';

export const CreateApiKeySchema = z.strictObject({
  role: z.enum(ROLES).optional(),
  name: z.string().trim().min(1).max(100).optional(),
  userId: z.uuid().optional(),
});
export type CreateApiKey = z.infer<typeof CreateApiKeySchema>;

/** The caller's identity (/v1/me) and the org's API keys (admins only). */
export function identityRoutes(identity: IdentityService): Router {
  const router = Router();

  router.get('/v1/me', async (req, res) => {
    const p = principalOf(req);
    const org = await identity.getOrganization(p.orgId);
    res.json({
      org: { id: org.id, name: org.name },
      user: { id: p.userId, name: p.userName, role: p.role },
      keyId: p.keyId,
    });
  });

  router.get('/v1/api-keys', requireRole('admin'), async (req, res) => {
    res.json({ data: await identity.listKeys(principalOf(req).orgId) });
  });

  router.post('/v1/api-keys', requireRole('admin'), async (req, res) => {
    const body = parseBody(req, CreateApiKeySchema);
    const issued = await identity.createKeyAsAdmin(actorOf(req), body);
    // The only time the key is ever shown.
    res.status(201).json(issued);
  });

  router.delete('/v1/api-keys/:id', requireRole('admin'), async (req, res) => {
    const id = parseParam(req, 'id', z.uuid(), 'api key');
    const p = principalOf(req);
    res.json(await identity.revokeKey(id, { orgId: p.orgId, actor: `user:${p.userId}` }));
  });

  return router;
}
