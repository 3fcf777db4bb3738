import type { Client } from '@temporalio/client';
import type Stripe from 'stripe';
import {
  BILLING_SYNC_WORKFLOW,
  billingEventSignal,
  billingSyncWorkflowId,
  type BillingSyncWorkflow,
} from '../../contracts/billing.contract.js';
import { BillingRepository, type BillingEventRow, type BillingEventStatus } from '../db/billing.repository.js';
import type { Db } from '../db/knex.js';
import { AppError, badRequest } from '../errors.js';
import { handlesType } from './event-handlers.js';
import { StripeEventSchema, summarize, type StripeEvent } from './stripe-events.js';

/** Stripe's default: a signature older (or newer) than this is refused, so a captured delivery cannot be replayed later. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface BillingWebhookDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  stripe: Stripe;
  /** STRIPE_WEBHOOK_SECRET; without it every delivery is refused (503). */
  webhookSecret: string | undefined;
}

export interface WebhookReceipt {
  eventId: string;
  status: BillingEventStatus;
  duplicate: boolean;
}

/** The Stripe webhook door: verify, deduplicate by event id, record, hand the org's events to its billing workflow. */
export class BillingWebhookService {
  private readonly billing: BillingRepository;
  constructor(private readonly deps: BillingWebhookDeps) {
    this.billing = new BillingRepository(deps.db);
  }

  /** Verifies `raw` (the body exactly as received) against its Stripe-Signature header; 400 on any mismatch. */
  verify(raw: Buffer, signature: string | undefined): StripeEvent {
    const secret = this.deps.webhookSecret;
    if (!secret) throw new AppError('billing_not_configured', 503, 'STRIPE_WEBHOOK_SECRET is not set');
    if (!signature) throw badRequest('invalid_signature', 'the Stripe-Signature header is missing');
    let event: unknown;
    try {
      event = this.deps.stripe.webhooks.constructEvent(raw, signature, secret, SIGNATURE_TOLERANCE_SECONDS);
    } catch {
      // Stripe's message says which check failed; the sender learns only that it did.
      throw badRequest('invalid_signature', 'the Stripe-Signature does not match the body, or is too old');
    }
    const parsed = StripeEventSchema.safeParse(event);
    if (!parsed.success) throw badRequest('invalid_event', 'the body is not a Stripe event');
    return parsed.data;
  }

  /**
   * Records a verified event once (its id is unique) and signals its org's workflow. A redelivery changes nothing;
   * one of an event not applied yet signals again (the hand-over may have failed; the workflow and the apply step
   * both ignore an event they already have), so a failed hand-over heals with Stripe's next delivery.
   */
  async receive(raw: Buffer, signature: string | undefined): Promise<WebhookReceipt> {
    const event = this.verify(raw, signature);
    const orgId = await this.orgOf(event);
    const status: BillingEventStatus = !orgId ? 'unmatched' : handlesType(event.type) ? 'received' : 'unknown_type';
    const row = await this.billing.insertEvent({ ...summarize(event), org_id: orgId ?? null, status });
    if (!row) {
      const first = (await this.billing.eventByStripeId(event.id))!;
      if (first.status === 'received') await this.dispatch(first);
      return { eventId: first.id, status: first.status, duplicate: true };
    }
    if (status === 'received') await this.dispatch(row);
    return { eventId: row.id, status, duplicate: false };
  }

  /** The org Collexa created the event's customer for, else a metadata.orgId naming an org that exists; never a guess. */
  private async orgOf(event: StripeEvent): Promise<string | undefined> {
    const s = summarize(event);
    if (s.stripe_customer_id) {
      const org = await this.billing.orgOfCustomer(s.stripe_customer_id);
      if (org) return org;
    }
    const claimed = s.metadata.orgId;
    if (claimed && UUID.test(claimed) && (await this.billing.orgExists(claimed))) return claimed;
    return undefined;
  }

  // Signal-with-start: the org's workflow runs if it was idle; a failure here answers 503 and Stripe redelivers.
  private async dispatch(row: BillingEventRow): Promise<void> {
    try {
      await this.deps.temporal.workflow.signalWithStart<BillingSyncWorkflow, [{ billingEventId: string }]>(
        BILLING_SYNC_WORKFLOW,
        {
          workflowId: billingSyncWorkflowId(row.org_id!),
          taskQueue: this.deps.taskQueue,
          args: [{ orgId: row.org_id! }],
          signal: billingEventSignal,
          signalArgs: [{ billingEventId: row.id }],
        },
      );
    } catch {
      throw new AppError('billing_unavailable', 503, 'the event was recorded but could not be queued; retry');
    }
  }
}
