import type { LanguageModelV4, LanguageModelV4CallOptions, LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { createFallback } from 'ai-fallback';
import { contentFiltered, mapLlmError, type LlmCallError } from './llm-errors.js';
import type { LlmFallbackStep, LlmProviderRow } from './llm-rows.js';
import type { Redactor } from '../secrets/redact.js';

/** One provider of a call's chain: its row and its model (with the resolved key). */
export interface ChainLink {
  provider: LlmProviderRow;
  model: LanguageModelV4;
}

/** What a call's chain did: the providers that failed (in order, with mapped codes) and the one that answered. */
export interface ChainTrace {
  failed: (LlmFallbackStep & { error: LlmCallError })[];
  answered?: LlmProviderRow;
}

/**
 * The org's providers as one model: ai-fallback's createFallback tries them in priority order, moving on
 * after any failure but the caller's own abort. ai-fallback has no per-model timeout (the call's abort
 * signal is shared), so each link gets its own here: LLM_CALL_TIMEOUT_MS from its first byte sent, a hang
 * becoming `llm_timeout` and the next provider's turn. Each link maps its error (so the chain's final error
 * is already an LlmCallError) and treats a content-filter stop as a failure, so another provider may answer.
 * Built per call: a FallbackModel remembers which model last worked, which must not leak between orgs.
 */
export function fallbackChain(
  links: ChainLink[],
  opts: { timeoutMs: number; redactor: Redactor; signal?: AbortSignal },
  /** Filled as the call runs: each failed provider, and the one that answered. */
  trace: ChainTrace,
): LanguageModelV4 {
  const guarded = links.map((link) => guardedLink(link, opts, trace));
  if (guarded.length === 1) return guarded[0]!;
  return createFallback({
    models: guarded,
    retryAfterOutput: false,
    shouldRetryThisError: () => !opts.signal?.aborted,
  });
}

function guardedLink(
  { provider, model }: ChainLink,
  opts: { timeoutMs: number; redactor: Redactor; signal?: AbortSignal },
  trace: ChainTrace,
): LanguageModelV4 {
  const attempt = (params: LanguageModelV4CallOptions) => {
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    const abortSignal = params.abortSignal ? AbortSignal.any([params.abortSignal, timeout]) : timeout;
    const fail = (err: unknown): never => {
      const mapped = mapLlmError(err, {
        provider: provider.name,
        redactor: opts.redactor,
        timedOut: timeout.aborted && !params.abortSignal?.aborted,
      });
      trace.failed.push({ providerId: provider.id, name: provider.name, code: mapped.code, error: mapped });
      throw mapped;
    };
    return { options: { ...params, abortSignal }, fail };
  };
  return {
    specificationVersion: 'v4',
    provider: model.provider,
    modelId: model.modelId,
    get supportedUrls() {
      return model.supportedUrls;
    },
    async doGenerate(params) {
      const { options, fail } = attempt(params);
      try {
        const result = await model.doGenerate(options);
        if (result.finishReason.unified === 'content-filter') throw contentFiltered(provider.name);
        trace.answered = provider;
        return result;
      } catch (err) {
        return fail(err);
      }
    },
    async doStream(params) {
      const { options, fail } = attempt(params);
      let result;
      try {
        result = await model.doStream(options);
      } catch (err) {
        return fail(err);
      }
      trace.answered = provider;
      // Mid-stream failures (a hang after the headers, an error event) become mapped error parts.
      const mapped = result.stream.pipeThrough(
        new TransformStream<LanguageModelV4StreamPart, LanguageModelV4StreamPart>({
          transform(part, controller) {
            if (part.type === 'error') {
              try {
                fail(part.error);
              } catch (e) {
                controller.enqueue({ type: 'error', error: e });
                return;
              }
            }
            if (part.type === 'finish' && part.finishReason.unified === 'content-filter')
              controller.enqueue({ type: 'error', error: contentFiltered(provider.name) });
            controller.enqueue(part);
          },
        }),
      );
      const reader = mapped.getReader();
      const stream = new ReadableStream<LanguageModelV4StreamPart>({
        async pull(controller) {
          try {
            const { done, value } = await reader.read();
            if (done) controller.close();
            else controller.enqueue(value);
          } catch (err) {
            try {
              fail(err);
            } catch (e) {
              controller.error(e);
            }
          }
        },
        cancel: (reason) => reader.cancel(reason),
      });
      return { ...result, stream };
    },
  };
}
