import { Router, type Request } from 'express';
import { z } from 'zod';
import type { BillingService } from '../../core/billing/billing.service.js';
import { BILLING_EVENT_STATUSES } from '../../core/db/billing.repository.js';
import { USAGE_GROUPS } from '../../core/db/ledger.repository.js';
import { actorOf, principalOf, requireRole } from '../middleware/auth.js';
import { randomUUID } from 'node:crypto';
import { badRequest } from '../../core/errors.js';
import { parseBody, parseQuery } from '../middleware/validate.js';
import { billingAccountView, billingEventView, paymentView, usageView } from '../views/billing.view.js';

const CreditsSchema = z.strictObject({
  /** Minor units of BILLING_CURRENCY (cents): at least 50 (Stripe's minimum charge), at most 1 000 000.00. */
  amount: z.number().int().min(50).max(100_000_000),
  paymentMethod: z
    .string()
    .regex(/^pm_[A-Za-z0-9_]{1,100}$/)
    .optional(),
});
const ConfirmSchema = z.strictObject({ paymentMethod: CreditsSchema.shape.paymentMethod });
const RefundSchema = z.strictObject({
  /** Minor units; by default all of the purchase that is neither refunded nor spent. */
  amount: z.number().int().min(1).max(100_000_000).optional(),
});
const IntentId = z.string().regex(/^pi_[A-Za-z0-9_]{1,200}$/);
const IdempotencyKey = z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/);

/** The request's Idempotency-Key (a retry with it is the same operation), or a fresh one. */
function idempotencyKeyOf(req: Request): string {
  const header = req.get('idempotency-key');
  if (header !== undefined && !IdempotencyKey.safeParse(header).success)
    throw badRequest('invalid_idempotency_key', 'Idempotency-Key: 1-100 letters, digits, . _ : -');
  return header ?? randomUUID();
}

function intentIdOf(req: Request): string {
  const id = IntentId.safeParse(req.params.paymentIntentId);
  if (!id.success) throw badRequest('invalid_payment_intent', 'not a payment intent id (pi_...)');
  return id.data;
}

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

  router.post('/v1/billing/credits', requireRole('admin'), async (req, res) => {
    const body = parseBody(req, CreditsSchema);
    const payment = await billing.credits.buy(actorOf(req), body, idempotencyKeyOf(req));
    res.status(payment.credited ? 201 : 202).json(paymentView(payment));
  });

  router.post('/v1/billing/credits/:paymentIntentId/confirm', requireRole('admin'), async (req, res) => {
    const body = parseBody(req, ConfirmSchema);
    const payment = await billing.credits.confirm(actorOf(req), intentIdOf(req), body, idempotencyKeyOf(req));
    res.json(paymentView(payment));
  });

  router.post('/v1/billing/credits/:paymentIntentId/refund', requireRole('admin'), async (req, res) => {
    const body = parseBody(req, RefundSchema);
    res.json(await billing.credits.refund(actorOf(req), intentIdOf(req), body, idempotencyKeyOf(req)));
  });

  router.get('/v1/billing/usage', async (req, res) => {
    const q = parseQuery(req, UsageQuery);
    res.json(usageView(q, await billing.usage(principalOf(req).orgId, q)));
  });

  return router;
}
