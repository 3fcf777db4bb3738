import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModelV4 } from '@ai-sdk/provider';
import { z } from 'zod';
import type { GuardedFetch } from '../net/guarded-fetch.js';
import type { LlmProviderRow, LlmProviderType } from './llm-rows.js';

/**
 * Per type, what `settings` may hold. Azure OpenAI runs on @ai-sdk/openai-compatible (chat completions) at
 * `<baseUrl or https://<resource>.openai.azure.com>/openai/deployments/<model>` with Azure's `api-key` header
 * and `api-version` query (the model is the deployment's name). openai-compatible (Ollama, vLLM, LM Studio…)
 * asks for JSON-schema structured output unless `structuredOutputs: false` (then plain JSON mode).
 */
export const ProviderSettingsSchemas = {
  openai: z.strictObject({ organization: z.string().max(200).optional(), project: z.string().max(200).optional() }),
  anthropic: z.strictObject({}),
  google: z.strictObject({}),
  'openai-compatible': z.strictObject({ structuredOutputs: z.boolean().optional() }),
  'azure-openai': z.strictObject({
    resource: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{1,62}$/i, 'an Azure resource name')
      .optional(),
    apiVersion: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}(-preview)?$/, 'such as 2024-10-21')
      .optional(),
  }),
} satisfies Record<LlmProviderType, z.ZodType>;

export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

/** Types that have no default endpoint: a base URL (or, for Azure, a resource) is required. */
export function needsBaseUrl(type: LlmProviderType, settings: Record<string, unknown>): boolean {
  return type === 'openai-compatible' || (type === 'azure-openai' && !settings.resource);
}

/** The endpoint a provider's calls go to (its base URL or the vendor's default): what egress checks. */
export function endpointOf(p: Pick<LlmProviderRow, 'type' | 'base_url' | 'settings' | 'model'>): string | undefined {
  if (p.type === 'azure-openai') {
    const root = p.base_url ?? `https://${String(p.settings.resource)}.openai.azure.com`;
    return `${root.replace(/\/+$/, '')}/openai/deployments/${encodeURIComponent(p.model)}`;
  }
  return p.base_url ?? undefined;
}

/** The AI SDK model for one provider row, with its key, every request through the egress-guarded fetch. */
export function languageModelFor(p: LlmProviderRow, apiKey: string, fetch: GuardedFetch): LanguageModelV4 {
  const baseURL = endpointOf(p);
  const f = fetch as typeof globalThis.fetch;
  switch (p.type) {
    case 'openai': {
      const s = p.settings as z.infer<(typeof ProviderSettingsSchemas)['openai']>;
      return createOpenAI({ apiKey, baseURL, fetch: f, organization: s.organization, project: s.project })(p.model);
    }
    case 'anthropic':
      return createAnthropic({ apiKey, baseURL, fetch: f })(p.model);
    case 'google':
      return createGoogleGenerativeAI({ apiKey, baseURL, fetch: f })(p.model);
    case 'openai-compatible':
      return createOpenAICompatible({
        name: 'openai-compatible',
        apiKey,
        baseURL: baseURL!,
        fetch: f,
        includeUsage: true,
        supportsStructuredOutputs: p.settings.structuredOutputs !== false,
      })(p.model);
    case 'azure-openai':
      return createOpenAICompatible({
        name: 'azure-openai',
        baseURL: baseURL!,
        headers: { 'api-key': apiKey },
        queryParams: { 'api-version': String(p.settings.apiVersion ?? AZURE_DEFAULT_API_VERSION) },
        fetch: f,
        includeUsage: true,
        supportsStructuredOutputs: true,
      })(p.model);
  }
}
