// Gemini's generateContent and streamGenerateContent (`?alt=sse`) as @ai-sdk/google parses them. Gemini
// answers a bad key with 400 INVALID_ARGUMENT (reason API_KEY_INVALID), a quota with 429 RESOURCE_EXHAUSTED
// and a RetryInfo detail (no Retry-After header), a blocked prompt with promptFeedback.blockReason.
import type { WireCompletion, WireError, WireEvent, WireFormat } from './llm-wire-format.js';

function usageMetadata(c: WireCompletion) {
  const { inputTokens, outputTokens } = c.usage;
  return {
    promptTokenCount: inputTokens,
    candidatesTokenCount: outputTokens,
    totalTokenCount: inputTokens + outputTokens,
  };
}

function finishReason(c: WireCompletion): string {
  return c.finish === 'safety' ? 'SAFETY' : 'STOP';
}

export const googleFormat: WireFormat = {
  parse(path, body) {
    const contents = (Array.isArray(body.contents) ? body.contents : []) as {
      role?: string;
      parts?: { text?: string }[];
    }[];
    const last = contents.filter((m) => m.role === 'user').at(-1);
    const config = (body.generationConfig ?? {}) as {
      responseJsonSchema?: Record<string, unknown>;
      responseSchema?: Record<string, unknown>;
    };
    const tools = (Array.isArray(body.tools) ? body.tools : []) as { functionDeclarations?: { name: string }[] }[];
    return {
      api: 'generateContent',
      stream: path.endsWith(':streamGenerateContent'),
      model: /models\/([^:]+):/.exec(path)?.[1] ?? '',
      lastUserText: (last?.parts ?? []).map((p) => p.text ?? '').join(''),
      jsonSchema: config.responseJsonSchema ?? config.responseSchema,
      jsonTool: false,
      toolNames: tools.flatMap((t) => (t.functionDeclarations ?? []).map((f) => f.name)),
    };
  },

  error(failure, retryAfterSeconds, message): WireError {
    const e = (code: number, status: string, msg: string, details: unknown[] = []) => ({
      status: code,
      headers: {},
      body: { error: { code, message: message ?? msg, status, details } },
    });
    switch (failure) {
      case 'rate_limit':
        return e(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).', [
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfterSeconds ?? 30}s` },
        ]);
      case 'overloaded':
        return e(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.');
      case 'server':
        return e(500, 'INTERNAL', 'An internal error has occurred.');
      case 'auth':
        return e(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' },
        ]);
      case 'context_length':
        return e(
          400,
          'INVALID_ARGUMENT',
          'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).',
        );
      case 'content_filter':
        // A blocked prompt is a 200 with no candidate; the encoder below writes it (see `blocked`).
        return {
          status: 200,
          headers: {},
          body: {
            promptFeedback: { blockReason: 'SAFETY' },
            usageMetadata: { promptTokenCount: 10, totalTokenCount: 10 },
          },
        };
    }
  },

  json(_req, c) {
    return {
      candidates: [{ content: { role: 'model', parts: parts(c, c.text) }, finishReason: finishReason(c), index: 0 }],
      usageMetadata: usageMetadata(c),
      modelVersion: _req.model,
      responseId: 'wire',
    };
  },

  sse(req, c): WireEvent[] {
    const events: WireEvent[] = c.pieces.map((text) => ({
      data: { candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0 }], modelVersion: req.model },
    }));
    events.push({
      data: {
        candidates: [
          { content: { role: 'model', parts: parts(c, undefined) }, finishReason: finishReason(c), index: 0 },
        ],
        usageMetadata: usageMetadata(c),
        modelVersion: req.model,
      },
    });
    return events;
  },
};

function parts(c: WireCompletion, text: string | undefined) {
  const out: object[] = text ? [{ text }] : [];
  for (const t of c.toolCalls) out.push({ functionCall: { name: t.name, args: t.input } });
  return out.length ? out : [{ text: '' }];
}
