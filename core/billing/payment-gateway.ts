import { AppError } from '../errors.js';

/** A payment as the gateway reports it; amounts are integer minor units (cents). */
export interface PaymentIntent {
  id: string;
  status:
    | 'requires_payment_method'
    | 'requires_confirmation'
    | 'requires_action'
    | 'processing'
    | 'succeeded'
    | 'canceled'
    | string;
  amount: number;
  currency: string;
}

export interface Refund {
  id: string;
  status: string;
  amount: number;
}

/** The port payments go through: Stripe's adapter in production, whatever a test needs beside the real one. */
export interface PaymentGateway {
  createIntent(req: {
    amount: number;
    currency: string;
    customerId: string;
    paymentMethod?: string;
    metadata: Record<string, string>;
    idempotencyKey: string;
  }): Promise<PaymentIntent>;
  confirm(intentId: string, opts: { paymentMethod?: string; idempotencyKey: string }): Promise<PaymentIntent>;
  refund(req: { intentId: string; amount?: number; idempotencyKey: string }): Promise<Refund>;
}

export const PAYMENT_ERROR_KINDS = [
  'card_declined',
  'rate_limited',
  'invalid_request',
  'api_error',
  'unavailable',
] as const;
export type PaymentErrorKind = (typeof PAYMENT_ERROR_KINDS)[number];

// What a payer is told: never the provider's own message (it may name internals or another party's data).
const SAFE: Record<PaymentErrorKind, { code: string; status: number; message: string }> = {
  card_declined: { code: 'card_declined', status: 402, message: 'The card was declined; try another payment method.' },
  rate_limited: { code: 'payment_rate_limited', status: 429, message: 'Too many payment requests; retry shortly.' },
  invalid_request: {
    code: 'payment_invalid',
    status: 400,
    message: 'The payment provider did not accept this request.',
  },
  api_error: { code: 'payment_provider_error', status: 502, message: 'The payment provider failed; retry shortly.' },
  unavailable: {
    code: 'payment_unavailable',
    status: 503,
    message: 'Payments are unavailable right now; retry shortly.',
  },
};

/** A payment that failed, typed by kind, with a message safe to show the payer. */
export class PaymentError extends AppError {
  constructor(
    readonly kind: PaymentErrorKind,
    details: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    const safe = SAFE[kind];
    super(safe.code, safe.status, safe.message, { kind, ...details }, headers);
    this.name = 'PaymentError';
  }
}
