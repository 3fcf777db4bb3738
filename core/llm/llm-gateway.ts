import type { z } from 'zod';

/**
 * The one interface every LLM feature calls (pipeline stages, tool suggestion): one call, answered by the
 * org's enabled providers in priority order, cached and recorded. Implemented by core/llm (providers on the
 * Vercel AI SDK); run inside activities only, never in workflow code.
 */
export interface LlmGateway {
  /**
   * One completion. With `schema`, structured output validated by it (`object`). Throws AppError:
   * 409 `llm_not_configured` when the org has no enabled provider; `LlmCallError` (core/llm) for a
   * provider's failure once every provider in the chain failed.
   */
  generate<T = never>(req: LlmCallRequest<T>): Promise<LlmCallResult<T>>;
  /** Throws 409 `llm_not_configured` (naming what to set) unless the org has an enabled provider. */
  assertConfigured(orgId: string): Promise<void>;
}

export interface LlmMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface LlmCallRequest<T> {
  orgId: string;
  /** What the call is for, recorded with it: `pipeline.plan`, `tools.suggest`. */
  purpose: string;
  /** What made it (a pipeline stage's attempt id): recorded, and one record per source id on a retry. */
  sourceId?: string;
  system?: string;
  messages: LlmMessage[];
  schema?: z.ZodType<T>;
  /** A name for the schema, sent to providers that take one. */
  schemaName?: string;
  temperature?: number;
  maxOutputTokens?: number;
  /**
   * `auto` (default) reads and writes the cache unless a setting is non-deterministic (temperature > 0 and
   * no seed); `bypass` never reads it; `force` reads and writes it whatever the settings.
   */
  cache?: 'auto' | 'bypass' | 'force';
  signal?: AbortSignal;
  /**
   * Tools the model may propose calling (no execute functions: the model proposes, the caller runs each as
   * a governed invocation). Proposed calls come back in `toolCalls`.
   */
  tools?: LlmTool[];
  /** Streams from the provider; `onProgress` is called per chunk (an activity heartbeats there). */
  stream?: boolean;
  onProgress?: (progress: LlmProgress) => void;
}

export interface LlmTool {
  name: string;
  description?: string;
  /** A JSON schema of the tool's input. */
  inputSchema: Record<string, unknown>;
}

export interface LlmToolCall {
  toolName: string;
  input: unknown;
}

export interface LlmProgress {
  /** Chunks and characters received so far. */
  chunks: number;
  chars: number;
}

export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface LlmCallResult<T> {
  /** The recorded call's id (llm_calls). */
  callId: string;
  text: string;
  /** The parsed, validated output when a schema was given. */
  object: T;
  provider: { id: string; name: string; type: string };
  model: string;
  usage: LlmUsage;
  costUsd: number;
  latencyMs: number;
  cacheHit: boolean;
  /** Tool calls the model proposed (empty without `tools`). */
  toolCalls: LlmToolCall[];
  /** Providers tried before the one that answered, each with its mapped error code. */
  fellBackFrom: { providerId: string; name: string; code: string }[];
}
