import { Router } from 'express';
import { z } from 'zod';
import { AuditRepository } from '../../core/db/audit.repository.js';
import type { Db } from '../../core/db/knex.js';
import { principalOf, requireRole } from '../middleware/auth.js';
import { parseQuery } from '../middleware/validate.js';
import { auditView } from '../views/audit.view.js';

const AuditQuery = z.strictObject({
  invocationId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional(),
});

/** GET /v1/audit: the org's audit trail, newest first in pages (`nextCursor`), optionally for one invocation. */
export function auditRoutes(db: Db): Router {
  const router = Router();
  const audit = new AuditRepository(db);
  router.get('/v1/audit', requireRole('admin', 'developer', 'approver'), async (req, res) => {
    const q = parseQuery(req, AuditQuery);
    const page = await audit.list(principalOf(req).orgId, q);
    res.json({ data: page.data.map(auditView), nextCursor: page.nextCursor });
  });
  return router;
}
