import type Stripe from 'stripe';
import type { BillingConfig } from '../config.js';
import type { Db } from '../db/knex.js';
import { LedgerRepository } from '../db/ledger.repository.js';

// A sweep looks this far back for sources not in the ledger yet: a sweep missed for two days is caught up.
const COLLECT_WINDOW_MS = 2 * 24 * 3600_000;
const BATCH = 100;

/**
 * Writes the ledger from its sources and reports its entries to Stripe as billing meter events. The meter event's
 * identifier is the ledger entry's id, so Stripe counts an entry once however often it is sent; an entry is
 * marked reported only after Stripe acknowledged it, so none is lost when a worker dies mid-batch.
 */
export class UsageReporter {
  private readonly ledger: LedgerRepository;
  constructor(
    db: Db,
    private readonly stripe: Stripe,
    private readonly cfg: Pick<BillingConfig, 'prices' | 'currency' | 'meterEventName'>,
  ) {
    this.ledger = new LedgerRepository(db);
  }

  /** New ledger entries from every org's sources. */
  collect(now = new Date()): Promise<number> {
    return this.ledger.collect({
      prices: this.cfg.prices,
      currency: this.cfg.currency,
      since: new Date(now.getTime() - COLLECT_WINDOW_MS),
    });
  }

  /**
   * Reports up to one batch of unreported entries, one at a time, calling `onSent` after each (the activity's
   * heartbeat); how many it reported (0: nothing left).
   */
  async reportBatch(onSent: () => void = () => undefined): Promise<number> {
    const entries = await this.ledger.unreported(BATCH);
    for (const e of entries) {
      await this.stripe.billing.meterEvents.create(
        {
          event_name: this.cfg.meterEventName,
          identifier: e.id,
          timestamp: Math.floor(new Date(e.occurred_at).getTime() / 1000),
          payload: { stripe_customer_id: e.stripe_customer_id, value: String(e.amount_micros) },
        },
        { idempotencyKey: `meter-${e.id}` },
      );
      await this.ledger.markReported(e.id);
      onSent();
    }
    return entries.length;
  }
}
