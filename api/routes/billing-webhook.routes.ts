import express, { Router } from 'express';
import type { BillingWebhookService } from '../../core/billing/billing-webhook.service.js';

// Stripe's events are a few KB; the largest (an invoice with many lines) stay well under this.
const WEBHOOK_BODY_LIMIT = '256kb';

/**
 * POST /webhooks/stripe: Stripe's event deliveries. The body is kept raw (the signature covers its exact bytes),
 * so this router is mounted before the JSON parser; no API key, the signature is the authentication.
 */
export function billingWebhookRoutes(webhooks: BillingWebhookService): Router {
  const router = Router();
  router.post(
    '/webhooks/stripe',
    express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT, inflate: false }),
    async (req, res) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const receipt = await webhooks.receive(raw, req.get('stripe-signature'));
      res.json({ received: true, ...receipt });
    },
  );
  return router;
}
