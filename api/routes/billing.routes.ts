import { Router } from 'express';
import { z } from 'zod';
import type { BillingService } from '../../core/billing/billing.service.js';
import { BILLING_EVENT_STATUSES } from '../../core/db/billing.repository.js';
import { actorOf, principalOf, requireRole } from '../middleware/auth.js';
import { parseQuery } from '../middleware/validate.js';
import { billingAccountView, billingEventView } from '../views/billing.view.js';

const EventsQuery = z.strictObject({
  status: z.enum(BILLING_EVENT_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(100).optional(),
});

/** /v1/billing: the org's Stripe customer and subscription, and the log of Stripe events it received. */
export function billingRoutes(billing: BillingService): Router {
  const router = Router();

  router.get('/v1/billing', async (req, res) => {
    res.json(billingAccountView(await billing.account(principalOf(req).orgId)));
  });

  router.post('/v1/billing/customer', requireRole('admin'), async (req, res) => {
    const { created } = await billing.ensureCustomer(actorOf(req));
    res.status(created ? 201 : 200).json(billingAccountView(await billing.account(principalOf(req).orgId)));
  });

  router.get('/v1/billing/events', async (req, res) => {
    const q = parseQuery(req, EventsQuery);
    const page = await billing.events(principalOf(req).orgId, q);
    res.json({ data: page.data.map(billingEventView), nextCursor: page.nextCursor });
  });

  return router;
}
