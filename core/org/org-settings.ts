import { z } from 'zod';

/** Org settings an admin may set (PATCH /v1/org); policy reads them as input.org.settings. */
export const OrgSettingsSchema = z.strictObject({
  approvalWebhook: z.strictObject({ url: z.url({ protocol: /^https?$/ }), secret: z.string().min(16).max(256) }).nullable().optional(),
  approval_required_from: z.enum(['low', 'medium', 'high', 'critical']).nullable().optional(),
});
export type OrgSettings = z.infer<typeof OrgSettingsSchema>;

export function approvalWebhookOf(settings: Record<string, unknown>): { url: string; secret: string } | null {
  const parsed = OrgSettingsSchema.shape.approvalWebhook.safeParse(settings.approvalWebhook);
  return parsed.success && parsed.data ? parsed.data : null;
}

/** Settings as the API shows them: the webhook secret never leaves the server. */
export function publicSettings(settings: Record<string, unknown>): Record<string, unknown> {
  const webhook = approvalWebhookOf(settings);
  return { ...settings, approvalWebhook: webhook ? { url: webhook.url, secret: '[set]' } : null };
}
