import Stripe from 'stripe';
import type { BillingConfig } from '../config.js';

/**
 * The stripe SDK pointed at STRIPE_API_BASE (stripe-mock in development and tests, api.stripe.com in
 * production). No SDK retries: callers retry through Temporal (meter reports) or answer the user at once.
 */
export function createStripeClient(cfg: Pick<BillingConfig, 'apiBase' | 'secretKey' | 'timeoutMs'>): Stripe {
  const base = new URL(cfg.apiBase);
  const protocol = base.protocol === 'https:' ? 'https' : 'http';
  return new Stripe(cfg.secretKey ?? 'sk_test_unconfigured', {
    host: base.hostname,
    port: Number(base.port || (protocol === 'https' ? 443 : 80)),
    protocol,
    timeout: cfg.timeoutMs,
    maxNetworkRetries: 0,
    telemetry: false,
  });
}
