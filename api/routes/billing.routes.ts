import { Router } from 'express';
import { z } from 'zod';
import type { BillingService } from '../../core/billing/billing.service.js';
import { BILLING_EVENT_STATUSES } from '../../core/db/billing.repository.js';
import { USAGE_GROUPS } from '../../core/db/ledger.repository.js';
import { actorOf, principalOf, requireRole } from '../middleware/auth.js';
import { parseQuery } from '../middleware/validate.js';
import { billingAccountView, billingEventView, usageView } from '../views/billing.view.js';

const UsageQuery = z.strictObject({
  from: z.iso.datetime({ offset: true }).transform((v) => new Date(v)),
  to: z.iso.datetime({ offset: true }).transform((v) => new Date(v)),
  groupBy: z.enum(USAGE_GROUPS).default('kind'),
});

const EventsQuery = z.strictObject({
  status: z.enum(BILLING_EVENT_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(100).optional(),
});

/** /v1/billing: the org's Stripe customer and subscription, the Stripe events it received, its usage and cost. */
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

  router.get('/v1/billing/usage', async (req, res) => {
    const q = parseQuery(req, UsageQuery);
    res.json(usageView(q, await billing.usage(principalOf(req).orgId, q)));
  });

  return router;
}
