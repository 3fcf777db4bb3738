import { createHmac } from 'node:crypto';
import type { GuardedFetch } from '../net/guarded-fetch.js';

/** The receiver answered with a client error other than 408/429: retrying will not help. */
export class WebhookRejectedError extends Error {}

export const SIGNATURE_HEADER = 'x-collexa-signature';
export const TIMESTAMP_HEADER = 'x-collexa-timestamp';

/** `sha256=<hex>` over `<timestamp>.<body>`: receivers recompute it and reject stale timestamps. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * POSTs a signed JSON event with `fetch` (the egress-guarded one: the org named the URL); returns the HTTP
 * status, throws on anything but 2xx. Redirects are not followed.
 */
export async function deliverWebhook(fetch: GuardedFetch, target: { url: string; secret: string }, payload: unknown, timeoutMs = 10_000): Promise<number> {
  const body = JSON.stringify(payload);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const res = await fetch(target.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: signWebhook(target.secret, timestamp, body) },
    body,
    signal: AbortSignal.timeout(timeoutMs),
    redirect: 'manual',
  });
  await res.body?.cancel();
  if (res.ok) return res.status;
  const message = `webhook ${new URL(target.url).host} answered ${res.status}`;
  if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) throw new WebhookRejectedError(message);
  throw new Error(message);
}
