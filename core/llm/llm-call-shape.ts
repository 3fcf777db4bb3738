import { jsonSchema, Output, tool, type ToolSet } from 'ai';
import { z } from 'zod';
import { canonicalHash } from '../canonical-json.js';
import type { LlmCallRequest } from './llm-gateway.js';
import type { LlmProviderRow } from './llm-rows.js';

/** A request's schema as JSON schema (what providers are sent, and what the cache key covers). */
export function schemaJson(schema: z.ZodType | undefined): unknown {
  return schema ? z.toJSONSchema(schema, { unrepresentable: 'any' }) : undefined;
}

/**
 * The cache key: SHA-256 of the canonical JSON of everything that shapes the answer, the org first, so one
 * org's prompt never finds another's entry. Keyed on the primary provider (id and model): a fallback's
 * answer is stored under the chain it answered for.
 */
export function cacheKeyOf(req: LlmCallRequest<unknown>, primary: Pick<LlmProviderRow, 'id' | 'model'>): string {
  return canonicalHash({
    org: req.orgId,
    provider: primary.id,
    model: primary.model,
    system: req.system,
    messages: req.messages,
    parameters: { temperature: req.temperature, maxOutputTokens: req.maxOutputTokens },
    schema: schemaJson(req.schema),
    schemaName: req.schemaName,
    tools: req.tools,
  });
}

/** `auto` caches deterministic settings only (temperature unset or 0); `force` always; `bypass` never. */
export function usesCache(req: LlmCallRequest<unknown>, ttlSeconds: number): boolean {
  const mode = req.cache ?? 'auto';
  if (ttlSeconds <= 0 || mode === 'bypass') return false;
  return mode === 'force' || !((req.temperature ?? 0) > 0);
}

/** The AI SDK call options a request asks for (the model and abort signal are the caller's). */
export function sdkCallOptions(req: LlmCallRequest<unknown>) {
  return {
    ...(req.system ? { system: req.system } : {}),
    messages: req.messages,
    ...(req.temperature === undefined ? {} : { temperature: req.temperature }),
    ...(req.maxOutputTokens === undefined ? {} : { maxOutputTokens: req.maxOutputTokens }),
    ...(req.schema ? { output: Output.object({ schema: req.schema, name: req.schemaName }) } : {}),
    ...(req.tools?.length ? { tools: toolSetOf(req.tools) } : {}),
    // Temporal's retry policy retries the activity; the SDK never retries on its own.
    maxRetries: 0,
  };
}

/** Tools without execute functions: the model proposes calls, the caller runs them as governed invocations. */
function toolSetOf(tools: NonNullable<LlmCallRequest<unknown>['tools']>): ToolSet {
  return Object.fromEntries(
    tools.map((t) => [
      t.name,
      tool({ description: t.description, inputSchema: jsonSchema(t.inputSchema as Parameters<typeof jsonSchema>[0]) }),
    ]),
  );
}
