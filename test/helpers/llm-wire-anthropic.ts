// Anthropic's messages API as @ai-sdk/anthropic parses it (JSON and SSE); structured output arrives either
// as `output_config.format` (answer: a JSON text) or as the forced tool `json` (answer: that tool's call).
import type { WireCompletion, WireError, WireEvent, WireFormat } from './llm-wire-format.js';

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p: { text?: string }) => p?.text ?? '').join('');
  return '';
}

function stopReason(c: WireCompletion): string {
  return c.finish === 'safety' ? 'refusal' : c.finish === 'tool' ? 'tool_use' : 'end_turn';
}

function blocks(c: WireCompletion) {
  return [
    ...(c.text ? [{ type: 'text', text: c.text }] : []),
    ...c.toolCalls.map((t, i) => ({ type: 'tool_use', id: `toolu_${i}`, name: t.name, input: t.input })),
  ];
}

export const anthropicFormat: WireFormat = {
  parse(_path, body) {
    const messages = (Array.isArray(body.messages) ? body.messages : []) as { role?: string; content?: unknown }[];
    const tools = (Array.isArray(body.tools) ? body.tools : []) as {
      name?: string;
      input_schema?: Record<string, unknown>;
    }[];
    const config = body.output_config as { format?: { schema?: Record<string, unknown> } } | undefined;
    const choice = body.tool_choice as { type?: string; name?: string } | undefined;
    // The SDK's tool mode offers a tool `json` and forces a tool call (`any`, or that tool by name).
    const jsonTool =
      tools.some((t) => t.name === 'json') &&
      (choice?.type === 'any' || (choice?.type === 'tool' && choice.name === 'json'));
    return {
      api: 'messages',
      stream: body.stream === true,
      model: String(body.model ?? ''),
      lastUserText: textOf(messages.filter((m) => m.role === 'user').at(-1)?.content),
      jsonSchema: jsonTool ? tools.find((t) => t.name === 'json')?.input_schema : config?.format?.schema,
      jsonTool,
      toolNames: tools.map((t) => t.name ?? '').filter((n) => !(jsonTool && n === 'json')),
    };
  },

  error(failure, retryAfterSeconds, message): WireError {
    const headers: Record<string, string> =
      retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };
    const e = (status: number, type: string, msg: string) => ({
      status,
      headers,
      body: { type: 'error', error: { type, message: message ?? msg } },
    });
    switch (failure) {
      case 'rate_limit':
        return e(429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit');
      case 'overloaded':
        return e(529, 'overloaded_error', 'Overloaded');
      case 'server':
        return e(500, 'api_error', 'Internal server error');
      case 'auth':
        return e(401, 'authentication_error', 'invalid x-api-key');
      case 'context_length':
        return e(400, 'invalid_request_error', 'prompt is too long: 215000 tokens > 200000 maximum');
      case 'content_filter':
        return e(400, 'invalid_request_error', 'Output blocked by content filtering policy');
    }
  },

  json(req, c) {
    return {
      id: 'msg_wire',
      type: 'message',
      role: 'assistant',
      model: req.model,
      content: blocks(c),
      stop_reason: stopReason(c),
      stop_sequence: null,
      usage: { input_tokens: c.usage.inputTokens, output_tokens: c.usage.outputTokens },
    };
  },

  sse(req, c): WireEvent[] {
    const ev = (type: string, rest: object): WireEvent => ({ event: type, data: { type, ...rest } });
    const message = {
      id: 'msg_wire',
      type: 'message',
      role: 'assistant',
      model: req.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: c.usage.inputTokens, output_tokens: 1 },
    };
    const events: WireEvent[] = [ev('message_start', { message })];
    let index = 0;
    if (c.text) {
      events.push(ev('content_block_start', { index, content_block: { type: 'text', text: '' } }));
      for (const text of c.pieces)
        events.push(ev('content_block_delta', { index, delta: { type: 'text_delta', text } }));
      events.push(ev('content_block_stop', { index }));
      index++;
    }
    c.toolCalls.forEach((t, i) => {
      const block = { type: 'tool_use', id: `toolu_${i}`, name: t.name, input: {} };
      events.push(ev('content_block_start', { index, content_block: block }));
      const partial_json = JSON.stringify(t.input);
      events.push(ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } }));
      events.push(ev('content_block_stop', { index }));
      index++;
    });
    events.push(
      ev('message_delta', {
        delta: { stop_reason: stopReason(c), stop_sequence: null },
        usage: { output_tokens: c.usage.outputTokens },
      }),
    );
    events.push(ev('message_stop', {}));
    return events;
  },
};
