import { Webhook } from 'standardwebhooks';
import type { GuardedFetch } from '../net/guarded-fetch.js';
import { platformMetrics } from '../metrics/platform-metrics.js';

/** The receiver answered with a client error other than 408/429: retrying will not help. */
export class WebhookRejectedError extends Error {}

const STANDARD_SECRET = /^whsec_([A-Za-z0-9+/]+={0,2})$/;

/**
 * The Standard Webhooks form (`whsec_<base64 key>`) of an org's webhook secret. A secret already in that
 * form (its key 24-64 bytes) is used as it is; any other string (the plain secrets orgs have set so far)
 * keys the HMAC with its UTF-8 bytes, so its Standard Webhooks form is `whsec_` + base64(secret).
 */
export function standardWebhookSecret(secret: string): string {
  const m = STANDARD_SECRET.exec(secret);
  if (m) {
    const key = Buffer.from(m[1]!, 'base64');
    if (key.length >= 24 && key.length <= 64 && key.toString('base64') === m[1]) return secret;
  }
  return `whsec_${Buffer.from(secret, 'utf8').toString('base64')}`;
}

/** True for a secret that claims the Standard Webhooks form (`whsec_`) without being a valid one. */
export function isMalformedStandardSecret(secret: string): boolean {
  return secret.startsWith('whsec_') && standardWebhookSecret(secret) !== secret;
}

/** The Standard Webhooks headers for one delivery attempt: the same `msgId` on every retry, a fresh timestamp. */
export function signWebhook(secret: string, msgId: string, body: string, now = new Date()): Record<string, string> {
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': new Webhook(standardWebhookSecret(secret)).sign(msgId, now, body),
  };
}

/**
 * POSTs a JSON event signed in the Standard Webhooks format with `fetch` (the egress-guarded one: the org
 * named the URL); `msgId` is the event's stable id (receivers dedupe on it). Returns the HTTP status,
 * throws on anything but 2xx. Redirects are not followed.
 */
export async function deliverWebhook(
  fetch: GuardedFetch,
  target: { url: string; secret: string },
  event: { msgId: string; payload: unknown },
  timeoutMs = 10_000,
): Promise<number> {
  const body = JSON.stringify(event.payload);
  let res: Response;
  try {
    res = await fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signWebhook(target.secret, event.msgId, body) },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
  } catch (err) {
    platformMetrics.webhookDelivery('failed');
    throw err;
  }
  await res.body?.cancel();
  if (res.ok) {
    platformMetrics.webhookDelivery('delivered');
    return res.status;
  }
  const message = `webhook ${new URL(target.url).host} answered ${res.status}`;
  if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
    platformMetrics.webhookDelivery('rejected');
    throw new WebhookRejectedError(message);
  }
  platformMetrics.webhookDelivery('failed');
  throw new Error(message);
}
