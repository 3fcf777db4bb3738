import type { IncomingHttpHeaders } from 'node:http';

/** The wire protocols the LLM wire server speaks; `openai` covers chat completions and the responses API. */
export type WireVendor = 'openai' | 'anthropic' | 'google';
export type WireApi = 'chat' | 'responses' | 'messages' | 'generateContent';

export interface WireUsage {
  inputTokens: number;
  outputTokens: number;
}

/** A failure in the vendor's own error shape (status, body, headers as the vendor sends them). */
export type WireFailure = 'rate_limit' | 'overloaded' | 'server' | 'auth' | 'context_length' | 'content_filter';

/**
 * One scripted answer. `json` is structured output, encoded the way the SDK asked for it (a JSON text, or
 * Anthropic's `json` tool call in tool mode); `safety` is a completed answer the vendor stopped for content
 * (finish reason), `fail` an HTTP error, `hang` never answers (for timeouts).
 */
export type WireAnswer =
  | { text: string; usage?: WireUsage; /** Streamed: send this many events, then never end. */ stallAfter?: number }
  | { json: unknown; usage?: WireUsage }
  | { toolCalls: { name: string; input: unknown }[]; text?: string; usage?: WireUsage }
  | { fail: WireFailure; retryAfterSeconds?: number; message?: string }
  | { safety: true }
  | { hang: true };

/** What a handler (and the record of requests) sees of one request. */
export interface WireRequest {
  vendor: WireVendor;
  /** The label the base URL was made for (`baseUrl(vendor, label)`): scripts are per label. */
  label: string;
  api: WireApi;
  method: string;
  /** The path after `/<vendor>/<label>`, without the query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  stream: boolean;
  model: string;
  /** The last user message's text, as the vendor's body carries it. */
  lastUserText: string;
  /** The JSON schema the SDK asked the answer to follow (structured output), if any. */
  jsonSchema?: Record<string, unknown>;
  /** Anthropic tool mode: structured output is asked for as a forced call of the tool `json`. */
  jsonTool: boolean;
  /** The tools the request offered (names). */
  toolNames: string[];
}

export type WireHandler = (req: WireRequest) => WireAnswer;

export const DEFAULT_USAGE: WireUsage = { inputTokens: 100, outputTokens: 20 };

/** A minimal value of a JSON schema: the default answer for structured output nobody scripted. */
export function sampleOf(schema: Record<string, unknown> | undefined): unknown {
  if (!schema) return {};
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if ('const' in schema) return schema.const;
  const anyOf = (schema.anyOf ?? schema.oneOf) as Record<string, unknown>[] | undefined;
  if (anyOf?.length) return sampleOf(anyOf[0]);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return 'sample';
    case 'number':
    case 'integer':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'array': {
      const min = typeof schema.minItems === 'number' ? schema.minItems : 1;
      return Array.from({ length: min }, () => sampleOf(schema.items as Record<string, unknown>));
    }
    default: {
      const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
      return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, sampleOf(v)]));
    }
  }
}

/** The deterministic answer when a label has no script: an echo, or a sample of the asked schema. */
export function defaultAnswer(req: WireRequest): WireAnswer {
  if (req.jsonSchema) return { json: sampleOf(req.jsonSchema) };
  return { text: `echo: ${req.lastUserText}` };
}

/** Splits a text in a few pieces, for streamed answers. */
export function pieces(text: string): string[] {
  const words = text.split(/(?<= )/);
  const size = Math.max(1, Math.ceil(words.length / 3));
  const out: string[] = [];
  for (let i = 0; i < words.length; i += size) out.push(words.slice(i, i + size).join(''));
  return out.length ? out : [''];
}
