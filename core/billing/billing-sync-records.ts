import type { BillingApplyOutcome } from '../../contracts/billing.contract.js';
import { AuditRepository } from '../db/audit.repository.js';
import { BillingRepository } from '../db/billing.repository.js';
import { CreditPaymentRepository } from '../db/credit-payment.repository.js';
import type { Db } from '../db/knex.js';
import { LedgerRepository } from '../db/ledger.repository.js';
import { AppError } from '../errors.js';
import { BILLING_EVENT_HANDLERS } from './event-handlers.js';

/** The billing workflow's steps: apply one stored event through its handler, or park it with its error. */
export class BillingSyncRecords {
  constructor(private readonly db: Db) {}

  /**
   * Applies a received event and closes its row in one transaction; an event already closed (a retry after a
   * lost answer, a redelivered signal) is left as it is. A handler's AppError 4xx is final; anything else is
   * counted on the row and thrown for Temporal to retry.
   */
  async apply(billingEventId: string): Promise<BillingApplyOutcome> {
    try {
      return await this.db.transaction(async (trx) => {
        const billing = new BillingRepository(trx);
        const event = await trx('billing_events').where({ id: billingEventId }).forUpdate().first();
        if (!event || !event.org_id) return 'gone';
        if (event.status !== 'received') return event.status as BillingApplyOutcome;
        const handler = BILLING_EVENT_HANDLERS[event.type];
        if (!handler) throw new AppError('unknown_event_type', 400, `no handler for ${event.type}`);
        const outcome = await handler({
          event,
          billing,
          ledger: new LedgerRepository(trx),
          payments: new CreditPaymentRepository(trx),
        });
        await billing.finish(billingEventId, outcome);
        await new AuditRepository(trx).record({
          org_id: event.org_id,
          actor: 'stripe',
          action: `billing.event_${outcome}`,
          subject_type: 'billing_event',
          subject_id: billingEventId,
          data: { type: event.type, stripeEventId: event.stripe_event_id },
        });
        return outcome;
      });
    } catch (err) {
      if (!(err instanceof AppError && err.httpStatus < 500)) {
        await new BillingRepository(this.db).countAttempt(billingEventId, (err as Error).message.slice(0, 1000));
      }
      throw err;
    }
  }

  /** Parks an event its handler could not apply: kept with its error, visible at GET /v1/billing/events. */
  async park(billingEventId: string, error: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      const billing = new BillingRepository(trx);
      const event = await billing.event(billingEventId);
      if (!event?.org_id || !(await billing.finish(billingEventId, 'parked', error.slice(0, 2000)))) return;
      await new AuditRepository(trx).record({
        org_id: event.org_id,
        actor: 'stripe',
        action: 'billing.event_parked',
        subject_type: 'billing_event',
        subject_id: billingEventId,
        data: { type: event.type, stripeEventId: event.stripe_event_id, error: error.slice(0, 500) },
      });
    });
  }
}
