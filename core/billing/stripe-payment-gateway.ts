import type Stripe from 'stripe';
import { PaymentError, type PaymentGateway, type PaymentIntent, type PaymentErrorKind } from './payment-gateway.js';

// Stripe's decline codes a payer may be shown (what to do differs); any other stays generic.
const SHOWN_DECLINE_CODES = new Set(['insufficient_funds', 'expired_card', 'incorrect_cvc', 'card_not_supported']);

/** The SDK's error, typed: its class name says which kind it is. */
export function paymentErrorOf(err: unknown): PaymentError {
  const e = err as { type?: string; code?: string; decline_code?: string; headers?: Record<string, string> };
  const kind: PaymentErrorKind =
    e.type === 'StripeCardError'
      ? 'card_declined'
      : e.type === 'StripeRateLimitError'
        ? 'rate_limited'
        : e.type === 'StripeInvalidRequestError' || e.type === 'StripeIdempotencyError'
          ? 'invalid_request'
          : e.type === 'StripeConnectionError'
            ? 'unavailable'
            : 'api_error';
  if (kind === 'card_declined' && e.decline_code && SHOWN_DECLINE_CODES.has(e.decline_code))
    return new PaymentError(kind, { declineCode: e.decline_code });
  if (kind === 'rate_limited') {
    const after = Number(e.headers?.['retry-after']);
    return new PaymentError(
      kind,
      {},
      { 'retry-after': String(Number.isFinite(after) && after > 0 ? Math.min(after, 60) : 1) },
    );
  }
  return new PaymentError(kind);
}

/**
 * Fails fast while Stripe keeps failing: after `threshold` consecutive provider failures (5xx, 429, no answer)
 * calls are refused for `cooldownMs`, then one probe decides. A declined card or a bad request is the payer's,
 * not Stripe's, and counts as an answer.
 */
export class PaymentBreaker {
  private failures = 0;
  private openedAt: number | null = null;
  private probing = false;
  constructor(
    private readonly threshold = 5,
    private readonly cooldownMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  async run<T>(call: () => Promise<T>): Promise<T> {
    const probe = this.admit();
    try {
      const out = await call();
      this.failures = 0;
      this.openedAt = null;
      return out;
    } catch (err) {
      const mapped = paymentErrorOf(err);
      if (['api_error', 'rate_limited', 'unavailable'].includes(mapped.kind)) {
        this.failures++;
        if (probe || this.failures >= this.threshold) this.openedAt = this.now();
      } else this.failures = 0;
      throw mapped;
    } finally {
      if (probe) this.probing = false;
    }
  }

  private admit(): boolean {
    if (this.openedAt === null) return false;
    if (this.now() - this.openedAt < this.cooldownMs || this.probing)
      throw new PaymentError(
        'unavailable',
        { breaker: 'open' },
        { 'retry-after': String(Math.ceil(this.cooldownMs / 1000)) },
      );
    this.probing = true;
    return true;
  }
}

const intentOf = (pi: Stripe.PaymentIntent): PaymentIntent => ({
  id: pi.id,
  status: pi.status,
  amount: pi.amount,
  currency: pi.currency,
});

/** The PaymentGateway on Stripe's PaymentIntents and Refunds; every write carries the caller's idempotency key. */
export class StripePaymentGateway implements PaymentGateway {
  constructor(
    private readonly stripe: Stripe,
    private readonly breaker = new PaymentBreaker(),
  ) {}

  createIntent(req: Parameters<PaymentGateway['createIntent']>[0]): Promise<PaymentIntent> {
    return this.breaker.run(async () =>
      intentOf(
        await this.stripe.paymentIntents.create(
          {
            amount: req.amount,
            currency: req.currency,
            customer: req.customerId,
            metadata: req.metadata,
            ...(req.paymentMethod ? { payment_method: req.paymentMethod, confirm: true } : {}),
            automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          },
          { idempotencyKey: req.idempotencyKey },
        ),
      ),
    );
  }

  confirm(intentId: string, opts: { paymentMethod?: string; idempotencyKey: string }): Promise<PaymentIntent> {
    return this.breaker.run(async () =>
      intentOf(
        await this.stripe.paymentIntents.confirm(
          intentId,
          opts.paymentMethod ? { payment_method: opts.paymentMethod } : {},
          { idempotencyKey: opts.idempotencyKey },
        ),
      ),
    );
  }

  refund(req: { intentId: string; amount?: number; idempotencyKey: string }) {
    return this.breaker.run(async () => {
      const r = await this.stripe.refunds.create(
        { payment_intent: req.intentId, ...(req.amount === undefined ? {} : { amount: req.amount }) },
        { idempotencyKey: req.idempotencyKey },
      );
      return { id: r.id, status: r.status ?? 'pending', amount: r.amount };
    });
  }
}
