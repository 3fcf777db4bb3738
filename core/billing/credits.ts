/** metadata.purpose of the payment intents that buy prepaid credits (their success credits the ledger). */
export const CREDITS_PURPOSE = 'collexa_credits';

/** One minor unit (a cent) in the ledger's micro-units. */
export const MICROS_PER_MINOR_UNIT = 10_000;
