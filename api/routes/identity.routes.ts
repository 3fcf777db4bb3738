import { Router } from 'express';
import { z } from 'zod';
import type { IdentityService } from '../../core/identity/identity.service.js';
import { ROLES } from '../../core/identity/roles.js';
import { forbidden } from '../../core/errors.js';
import { principalOf, requireRole } from '../middleware/auth.js';
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
    res.json({ org: { id: org.id, name: org.name }, user: { id: p.userId, name: p.userName, role: p.role }, keyId: p.keyId });
  });

  router.get('/v1/api-keys', requireRole('admin'), async (req, res) => {
    res.json({ data: await identity.listKeys(principalOf(req).orgId) });
  });

  router.post('/v1/api-keys', requireRole('admin'), async (req, res) => {
    const body = parseBody(req, CreateApiKeySchema);
    const p = principalOf(req);
    // A key for someone else would let an admin act (approve, say) as them: admins create users with their
    // first key (no userId), or add keys for themselves.
    if (body.userId !== undefined && body.userId !== p.userId) throw forbidden('An admin may not issue a key for another existing user; create a new user (omit userId) instead', { userId: body.userId });
    const issued = await identity.createKey({ orgId: p.orgId, ...body }, `user:${p.userId}`);
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
