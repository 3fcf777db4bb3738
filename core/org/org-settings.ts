import { z } from 'zod';
import { SEVERITIES } from '../severity.js';
import { isMalformedStandardSecret } from '../notify/webhook.js';

/**
 * A webhook secret: a plain string (its UTF-8 bytes key the signature; Standard Webhooks form
 * `whsec_` + base64(secret)) or a Standard Webhooks secret `whsec_<base64 of 24-64 bytes>`, used as it is.
 */
const StoredWebhookSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  secret: z.string().min(16).max(256),
});
const WebhookSchema = StoredWebhookSchema.refine((w) => !isMalformedStandardSecret(w.secret), {
  path: ['secret'],
  message: 'a secret starting with whsec_ must be whsec_ + the base64 of 24-64 bytes',
});

/** Org settings an admin may set (PATCH /v1/org); policy reads them as input.org.settings. */
export const OrgSettingsSchema = z.strictObject({
  approvalWebhook: WebhookSchema.nullable().optional(),
  approval_required_from: z.enum(SEVERITIES).nullable().optional(),
  /** Capabilities of this risk or more run only in a sandbox (policy: collexa.authz.invoke). */
  sandbox_first_from: z.enum(SEVERITIES).nullable().optional(),
  /**
   * The month's spend (cost ledger, minor units of BILLING_CURRENCY: cents) past which each new invocation waits
   * for an admin's budget_override approval. Null or absent: no budget.
   */
  monthlyBudget: z.number().int().min(0).max(1e13).nullable().optional(),
});
export type OrgSettings = z.infer<typeof OrgSettingsSchema>;

export function approvalWebhookOf(settings: Record<string, unknown>): { url: string; secret: string } | null {
  const parsed = StoredWebhookSchema.nullable().optional().safeParse(settings.approvalWebhook);
  return parsed.success && parsed.data ? parsed.data : null;
}

/** Settings as the API shows them: the webhook secret never leaves the server. */
export function publicSettings(settings: Record<string, unknown>): Record<string, unknown> {
  const webhook = approvalWebhookOf(settings);
  return { ...settings, approvalWebhook: webhook ? { url: webhook.url, secret: '[set]' } : null };
}
