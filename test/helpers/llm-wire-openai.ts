// OpenAI's wire protocol as @ai-sdk/openai (responses API, its default) and @ai-sdk/openai-compatible (chat
// completions, also Azure's deployments path) parse it: shapes checked against their dist's zod schemas.
import type { WireCompletion, WireError, WireEvent, WireFormat } from './llm-wire-format.js';

const created = 1_764_000_000;

function usageOf(c: WireCompletion) {
  return { input: c.usage.inputTokens, output: c.usage.outputTokens };
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content.map((p: { text?: string }) => (typeof p?.text === 'string' ? p.text : '')).join('');
  return '';
}

export const openaiFormat: WireFormat = {
  parse(path, body) {
    const api = path.endsWith('/responses') ? 'responses' : 'chat';
    const list = (api === 'responses' ? body.input : body.messages) as { role?: string; content?: unknown }[];
    const users = (Array.isArray(list) ? list : []).filter((m) => m.role === 'user');
    const text = body.text as { format?: { type?: string; schema?: Record<string, unknown> } } | undefined;
    const rf = body.response_format as { type?: string; json_schema?: { schema?: Record<string, unknown> } };
    const jsonSchema = api === 'responses' ? text?.format?.schema : rf?.json_schema?.schema;
    const tools = (Array.isArray(body.tools) ? body.tools : []) as { name?: string; function?: { name?: string } }[];
    return {
      api,
      stream: body.stream === true,
      model: String(body.model ?? ''),
      lastUserText: textOf(users.at(-1)?.content),
      jsonSchema,
      jsonTool: false,
      toolNames: tools.map((t) => t.function?.name ?? t.name ?? ''),
    };
  },

  error(failure, retryAfterSeconds, message): WireError {
    const headers: Record<string, string> =
      retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };
    const e = (status: number, type: string | null, code: string | null, msg: string) => ({
      status,
      headers,
      body: { error: { message: message ?? msg, type, param: null, code } },
    });
    switch (failure) {
      case 'rate_limit':
        return e(429, 'requests', 'rate_limit_exceeded', 'Rate limit reached for requests');
      case 'overloaded':
        return e(503, 'server_error', null, 'The engine is currently overloaded, please try again later');
      case 'server':
        return e(500, 'server_error', null, 'The server had an error while processing your request.');
      case 'auth':
        return e(401, 'invalid_request_error', 'invalid_api_key', 'Incorrect API key provided.');
      case 'context_length':
        return e(
          400,
          'invalid_request_error',
          'context_length_exceeded',
          "This model's maximum context length is 128000 tokens. However, your messages resulted in 200000 tokens.",
        );
      case 'content_filter':
        return e(
          400,
          null,
          'content_filter',
          'The response was filtered due to the prompt triggering the content management policy.',
        );
    }
  },

  json(req, c) {
    const u = usageOf(c);
    if (req.api === 'chat') {
      return {
        id: 'chatcmpl-wire',
        object: 'chat.completion',
        created,
        model: req.model,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: c.text ?? null,
              ...(c.toolCalls.length && {
                tool_calls: c.toolCalls.map((t, i) => ({
                  id: `call_${i}`,
                  type: 'function',
                  function: { name: t.name, arguments: JSON.stringify(t.input) },
                })),
              }),
            },
            finish_reason: chatFinish(c),
          },
        ],
        usage: { prompt_tokens: u.input, completion_tokens: u.output, total_tokens: u.input + u.output },
      };
    }
    return {
      id: 'resp_wire',
      object: 'response',
      created_at: created,
      model: req.model,
      status: c.finish === 'safety' ? 'incomplete' : 'completed',
      incomplete_details: c.finish === 'safety' ? { reason: 'content_filter' } : null,
      output: [...(c.text === undefined ? [] : [messageItem(c.text)]), ...c.toolCalls.map(functionItem)],
      usage: responsesUsage(c),
    };
  },

  sse(req, c): WireEvent[] {
    return req.api === 'chat' ? chatEvents(req.model, c) : responsesEvents(req.model, c);
  },
};

function chatFinish(c: WireCompletion): string {
  return c.finish === 'safety' ? 'content_filter' : c.finish === 'tool' ? 'tool_calls' : 'stop';
}

function responsesUsage(c: WireCompletion) {
  const u = usageOf(c);
  return {
    input_tokens: u.input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: u.input + u.output,
  };
}

function messageItem(text: string) {
  return {
    type: 'message',
    id: 'msg_wire',
    role: 'assistant',
    status: 'completed',
    content: [{ type: 'output_text', text, annotations: [] }],
  };
}

function functionItem(t: { name: string; input: unknown }, i: number) {
  const args = JSON.stringify(t.input);
  return {
    type: 'function_call',
    id: `fc_${i}`,
    call_id: `call_${i}`,
    name: t.name,
    arguments: args,
    status: 'completed',
  };
}

function chatEvents(model: string, c: WireCompletion): WireEvent[] {
  const chunk = (choices: unknown[], extra: object = {}) => ({
    data: { id: 'chatcmpl-wire', object: 'chat.completion.chunk', created, model, choices, ...extra },
  });
  const delta = (d: object, finish: string | null = null) => chunk([{ index: 0, delta: d, finish_reason: finish }]);
  const events: WireEvent[] = [delta({ role: 'assistant', content: '' })];
  for (const piece of c.pieces) events.push(delta({ content: piece }));
  c.toolCalls.forEach((t, i) =>
    events.push(
      delta({
        tool_calls: [
          {
            index: i,
            id: `call_${i}`,
            type: 'function',
            function: { name: t.name, arguments: JSON.stringify(t.input) },
          },
        ],
      }),
    ),
  );
  events.push(delta({}, chatFinish(c)));
  const u = usageOf(c);
  events.push(
    chunk([], { usage: { prompt_tokens: u.input, completion_tokens: u.output, total_tokens: u.input + u.output } }),
  );
  events.push({ data: '[DONE]' });
  return events;
}

function responsesEvents(model: string, c: WireCompletion): WireEvent[] {
  let seq = 0;
  const ev = (type: string, rest: object): WireEvent => ({
    event: type,
    data: { type, sequence_number: seq++, ...rest },
  });
  const head = { id: 'resp_wire', object: 'response', created_at: created, model, status: 'in_progress', output: [] };
  const events: WireEvent[] = [ev('response.created', { response: head })];
  let index = 0;
  if (c.text !== undefined) {
    const item = messageItem(c.text);
    events.push(
      ev('response.output_item.added', { output_index: index, item: { ...item, status: 'in_progress', content: [] } }),
    );
    for (const delta of c.pieces)
      events.push(ev('response.output_text.delta', { item_id: item.id, output_index: index, content_index: 0, delta }));
    events.push(ev('response.output_item.done', { output_index: index, item }));
    index++;
  }
  c.toolCalls.forEach((t, i) => {
    const item = functionItem(t, i);
    events.push(
      ev('response.output_item.added', {
        output_index: index,
        item: { ...item, arguments: '', status: 'in_progress' },
      }),
    );
    events.push(
      ev('response.function_call_arguments.delta', { item_id: item.id, output_index: index, delta: item.arguments }),
    );
    events.push(ev('response.output_item.done', { output_index: index, item }));
    index++;
  });
  const done = c.finish === 'safety' ? 'response.incomplete' : 'response.completed';
  events.push(
    ev(done, {
      response: {
        ...head,
        status: c.finish === 'safety' ? 'incomplete' : 'completed',
        incomplete_details: c.finish === 'safety' ? { reason: 'content_filter' } : null,
        usage: responsesUsage(c),
      },
    }),
  );
  return events;
}
