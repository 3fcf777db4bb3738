import type { LanguageModelV4 } from '@ai-sdk/provider';
import { generateText, streamText } from 'ai';
import { sdkCallOptions } from './llm-call-shape.js';
import type { LlmCallRequest } from './llm-gateway.js';
import type { CachedLlmResponse } from './llm-rows.js';

/** What one call answered, before it is attributed to a provider and recorded. */
export type Answer = Omit<CachedLlmResponse, 'provider' | 'model'>;

/**
 * One AI SDK call on `model` (a provider, or the fallback chain): generateText, or streamText with
 * `onProgress` per text chunk. The structured output is read only when the model proposed no tool calls.
 */
export async function callModel(req: LlmCallRequest<unknown>, model: LanguageModelV4): Promise<Answer> {
  const options = { model, ...sdkCallOptions(req), abortSignal: req.signal };
  const wantsObject = (toolCalls: unknown[]) => req.schema !== undefined && toolCalls.length === 0;
  if (!req.stream) {
    const r = await generateText(options);
    return answerOf(r.text, r.toolCalls, r.usage, wantsObject(r.toolCalls) ? { object: r.output as unknown } : {});
  }
  const s = streamText({ ...options, onError: () => {} });
  const progress = { chunks: 0, chars: 0 };
  for await (const part of s.fullStream) {
    if (part.type === 'error') throw part.error;
    if (part.type === 'text-delta') {
      progress.chunks++;
      progress.chars += part.text.length;
      req.onProgress?.({ ...progress });
    }
  }
  const toolCalls = await s.toolCalls;
  const object = wantsObject(toolCalls) ? { object: (await s.output) as unknown } : {};
  return answerOf(await s.text, toolCalls, await s.usage, object);
}

function answerOf(
  text: string,
  toolCalls: { toolName: string; input: unknown }[],
  usage: { inputTokens?: number; outputTokens?: number },
  object: { object?: unknown },
): Answer {
  return {
    text,
    ...object,
    toolCalls: toolCalls.map((c) => ({ toolName: c.toolName, input: c.input })),
    usage: { inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0 },
  };
}
