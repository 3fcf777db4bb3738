import { z } from 'zod';
import { SECRET_NAME } from '../secrets/vault.js';
import { LLM_PROVIDER_TYPES } from './llm-rows.js';

// The bodies of POST and PATCH /v1/llm/providers. The key is only ever a reference to an org secret.
const SecretRef = z
  .string()
  .max(135)
  .refine((v) => v.startsWith('secret:') && SECRET_NAME.test(v.slice(7)), {
    message:
      'apiKey must be a reference to an org secret, "secret:NAME" (store the key with POST /v1/secrets); a raw key is never accepted',
  });
const ProviderFields = {
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'letters, digits, _ . and -, at most 63'),
  model: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^\s\0]+$/, 'a model id without spaces'),
  apiKey: SecretRef,
  baseUrl: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .nullable(),
  priority: z.number().int().min(0).max(10_000),
  enabled: z.boolean(),
  settings: z.record(z.string(), z.unknown()),
};
export const CreateLlmProviderSchema = z.strictObject({
  type: z.enum(LLM_PROVIDER_TYPES),
  name: ProviderFields.name,
  model: ProviderFields.model,
  apiKey: ProviderFields.apiKey,
  baseUrl: ProviderFields.baseUrl.optional(),
  priority: ProviderFields.priority.default(100),
  enabled: ProviderFields.enabled.default(true),
  settings: ProviderFields.settings.default({}),
});
export type CreateLlmProvider = z.infer<typeof CreateLlmProviderSchema>;
export const UpdateLlmProviderSchema = z
  .strictObject({
    name: ProviderFields.name,
    model: ProviderFields.model,
    apiKey: ProviderFields.apiKey,
    baseUrl: ProviderFields.baseUrl,
    priority: ProviderFields.priority,
    enabled: ProviderFields.enabled,
    settings: ProviderFields.settings,
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');
export type UpdateLlmProvider = z.infer<typeof UpdateLlmProviderSchema>;
