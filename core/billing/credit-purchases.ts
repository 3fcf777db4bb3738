import { auditEvent, type Actor } from '../identity/actor.js';
import { AuditRepository } from '../db/audit.repository.js';
import { CreditPaymentRepository } from '../db/credit-payment.repository.js';
import type { Db } from '../db/knex.js';
import { LedgerRepository } from '../db/ledger.repository.js';
import { AppError, notFound } from '../errors.js';
import { monthStart } from './month.js';
import { CREDITS_PURPOSE, MICROS_PER_MINOR_UNIT } from './credits.js';
import { PaymentError, type PaymentGateway, type PaymentIntent } from './payment-gateway.js';

export type CreditPurchase = PaymentIntent & { credited: boolean };
export type CreditRefund = { refundId: string; status: string; amount: number; currency: string };

// A refusal Stripe gave before doing anything: the reserved credit goes back. An API error or a timeout may have
// refunded (Stripe's idempotency key makes a retry safe), so its reservation stays until the caller retries.
const DEFINITELY_NOT_REFUNDED = (err: PaymentError) =>
  err.kind === 'card_declined' ||
  err.kind === 'invalid_request' ||
  err.kind === 'rate_limited' ||
  (err.details as { breaker?: string } | undefined)?.breaker === 'open';

/**
 * Prepaid credits: bought through the PaymentGateway, confirmed when the intent needs it, refunded while unused.
 * Collexa records each intent against its org (credit_payments), so a confirm or a refund names only the org's own.
 */
export class CreditPurchases {
  private readonly payments: CreditPaymentRepository;
  constructor(
    private readonly deps: {
      db: Db;
      currency: string;
      gateway: PaymentGateway | undefined;
      ensureCustomer: (actor: Actor) => Promise<{ customerId: string }>;
    },
  ) {
    this.payments = new CreditPaymentRepository(deps.db);
  }

  private gateway(): PaymentGateway {
    if (!this.deps.gateway) throw new AppError('billing_not_configured', 503, 'payments are not configured');
    return this.deps.gateway;
  }

  /**
   * A payment intent for `amount` minor units on the org's customer. Credited to the ledger when Stripe says it
   * succeeded, at once, on confirm, or by its payment_intent.succeeded event (the intent's id is the entry's
   * source, so every path credits once). `requestKey` (the Idempotency-Key) makes a retry the same payment.
   */
  async buy(
    actor: Actor,
    req: { amount: number; paymentMethod?: string },
    requestKey: string,
  ): Promise<CreditPurchase> {
    const gateway = this.gateway();
    const { customerId } = await this.deps.ensureCustomer(actor);
    const intent = await gateway.createIntent({
      amount: req.amount,
      currency: this.deps.currency,
      customerId,
      ...(req.paymentMethod ? { paymentMethod: req.paymentMethod } : {}),
      metadata: { orgId: actor.orgId, purpose: CREDITS_PURPOSE },
      idempotencyKey: `credits-${actor.orgId}-${requestKey}`,
    });
    if (!(await this.payments.upsert({ intentId: intent.id, orgId: actor.orgId, ...intent })))
      throw new AppError('payment_provider_error', 502, 'The payment provider failed; retry shortly.');
    const credited = await this.creditIfSucceeded(actor.orgId, intent);
    await this.audit(actor, 'billing.credits_requested', intent.id, { amount: req.amount, status: intent.status });
    return { ...intent, credited };
  }

  /** Confirms the org's purchase that still needs it (e.g. with a payment method); succeeded credits the ledger. */
  async confirm(
    actor: Actor,
    intentId: string,
    req: { paymentMethod?: string },
    requestKey: string,
  ): Promise<CreditPurchase> {
    const gateway = this.gateway();
    const row = await this.payments.find(actor.orgId, intentId);
    if (!row) throw notFound('credit purchase');
    const recorded = { id: row.intent_id, amount: Number(row.amount), currency: row.currency };
    if (row.status === 'succeeded') return { ...recorded, status: row.status, credited: false };
    const intent = await gateway.confirm(intentId, {
      ...(req.paymentMethod ? { paymentMethod: req.paymentMethod } : {}),
      idempotencyKey: `credits-confirm-${actor.orgId}-${requestKey}`,
    });
    // The amount is the one the org asked for; an answer about another intent changes nothing.
    if (intent.id !== row.intent_id) throw new AppError('payment_provider_error', 502, 'The payment provider failed.');
    await this.payments.setStatus(intentId, intent.status);
    const credited = await this.creditIfSucceeded(actor.orgId, { ...intent, ...recorded });
    await this.audit(actor, 'billing.credits_confirmed', intentId, { status: intent.status });
    return { ...recorded, status: intent.status, credited };
  }

  /**
   * Refunds unused credit of a succeeded purchase: `amount` minor units, by default all that is still both
   * unrefunded and unspent. The credit is withdrawn from the ledger first (under a per-org lock, so two refunds
   * cannot both spend one balance), then refunded at Stripe; a refusal puts it back.
   */
  async refund(actor: Actor, intentId: string, req: { amount?: number }, requestKey: string): Promise<CreditRefund> {
    const gateway = this.gateway();
    const sourceId = `refund:${intentId}:${requestKey}`;
    const reserved = await this.deps.db.transaction(async (trx) => {
      await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`credits:${actor.orgId}`]);
      const payments = new CreditPaymentRepository(trx);
      const ledger = new LedgerRepository(trx);
      const row = await payments.find(actor.orgId, intentId, { forUpdate: true });
      if (!row) throw notFound('credit purchase');
      const prior = await trx('cost_ledger')
        .where({ org_id: actor.orgId, kind: 'credit', source_id: sourceId })
        .first();
      // The same request again (its Idempotency-Key): the same refund, nothing withdrawn twice.
      if (prior) return { amount: Number(prior.amount_micros) / MICROS_PER_MINOR_UNIT, currency: row.currency };
      if (row.status !== 'succeeded')
        throw new AppError('payment_not_refundable', 409, 'Only a succeeded purchase can be refunded.', {
          status: row.status,
        });
      const unrefunded = Number(row.amount) - Number(row.refunded);
      const { creditMicros } = await ledger.totals(actor.orgId, monthStart(new Date()));
      const refundable = Math.min(unrefunded, Math.floor(creditMicros / MICROS_PER_MINOR_UNIT));
      const amount = req.amount ?? refundable;
      if (amount <= 0 || amount > refundable)
        throw new AppError(
          'refund_exceeds_credit',
          409,
          'A refund can return only credit that is neither refunded nor spent.',
          { refundable, unrefunded },
        );
      await ledger.withdrawCredit({
        orgId: actor.orgId,
        sourceId,
        amountMicros: amount * MICROS_PER_MINOR_UNIT,
        currency: row.currency,
      });
      await payments.addRefunded(intentId, amount);
      return { amount, currency: row.currency };
    });
    try {
      const refund = await gateway.refund({
        intentId,
        amount: reserved.amount,
        idempotencyKey: `credits-refund-${actor.orgId}-${requestKey}`,
      });
      await this.audit(actor, 'billing.credits_refunded', intentId, { amount: reserved.amount, refundId: refund.id });
      return { refundId: refund.id, status: refund.status, amount: reserved.amount, currency: reserved.currency };
    } catch (err) {
      if (err instanceof PaymentError && DEFINITELY_NOT_REFUNDED(err)) {
        await this.deps.db.transaction(async (trx) => {
          await new LedgerRepository(trx).removeCredit(actor.orgId, sourceId);
          await new CreditPaymentRepository(trx).addRefunded(intentId, -reserved.amount);
        });
      }
      throw err;
    }
  }

  private async creditIfSucceeded(orgId: string, intent: PaymentIntent): Promise<boolean> {
    return (
      intent.status === 'succeeded' &&
      new LedgerRepository(this.deps.db).addCredit({
        orgId,
        sourceId: intent.id,
        amountMicros: intent.amount * MICROS_PER_MINOR_UNIT,
        currency: intent.currency,
      })
    );
  }

  private audit(actor: Actor, action: string, intentId: string, data: Record<string, unknown>) {
    return new AuditRepository(this.deps.db).record(auditEvent(actor, action, 'payment_intent', intentId, data));
  }
}
