// The wire server against the vendors' real clients: every shape it answers is one the @ai-sdk/* packages
// parse (text, structured output, tool calls, SSE), and its failures reach them as each vendor's error.
import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { APICallError, generateText, jsonSchema, Output, streamText, tool, type LanguageModel } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startLlmWireServer, type LlmWireServer, type WireVendor } from '../helpers/llm-wire-server.js';

let wire: LlmWireServer;
beforeAll(async () => (wire = await startLlmWireServer()));
afterAll(() => wire.close());
beforeEach(() => wire.reset());

const clients: {
  name: string;
  vendor: WireVendor;
  model: () => LanguageModel;
  auth: (h: Record<string, unknown>) => unknown;
}[] = [
  {
    name: 'openai (responses)',
    vendor: 'openai',
    model: () => createOpenAI({ apiKey: 'sk-wire', baseURL: wire.baseUrl('openai') })('gpt-4o-mini'),
    auth: (h) => h.authorization,
  },
  {
    name: 'openai (chat completions)',
    vendor: 'openai',
    model: () => createOpenAI({ apiKey: 'sk-wire', baseURL: wire.baseUrl('openai') }).chat('gpt-4o-mini'),
    auth: (h) => h.authorization,
  },
  {
    name: 'openai-compatible',
    vendor: 'openai',
    model: () =>
      createOpenAICompatible({
        name: 'vllm',
        apiKey: 'sk-wire',
        baseURL: wire.baseUrl('openai'),
        supportsStructuredOutputs: true,
      })('llama-3'),
    auth: (h) => h.authorization,
  },
  {
    name: 'anthropic',
    vendor: 'anthropic',
    model: () => createAnthropic({ apiKey: 'sk-wire', baseURL: wire.baseUrl('anthropic') })('claude-sonnet-4-5'),
    auth: (h) => (h['x-api-key'] === 'sk-wire' ? 'Bearer sk-wire' : h['x-api-key']),
  },
  {
    name: 'anthropic (json tool mode)',
    vendor: 'anthropic',
    model: () => createAnthropic({ apiKey: 'sk-wire', baseURL: wire.baseUrl('anthropic') })('claude-3-haiku-20240307'),
    auth: (h) => (h['x-api-key'] === 'sk-wire' ? 'Bearer sk-wire' : h['x-api-key']),
  },
  {
    name: 'google',
    vendor: 'google',
    model: () => createGoogleGenerativeAI({ apiKey: 'sk-wire', baseURL: wire.baseUrl('google') })('gemini-2.5-flash'),
    auth: (h) => (h['x-goog-api-key'] === 'sk-wire' ? 'Bearer sk-wire' : h['x-goog-api-key']),
  },
];

const Plan = z.object({ title: z.string(), steps: z.array(z.string()) });

describe.each(clients)('$name through the wire server', ({ vendor, model, auth }) => {
  it('answers a text with its usage, and records the request with its key and model', async () => {
    wire.script(vendor, [{ text: 'hello there', usage: { inputTokens: 12, outputTokens: 3 } }]);
    const r = await generateText({ model: model(), prompt: 'say hi' });
    expect(r.text).toBe('hello there');
    expect(r.usage.inputTokens).toBe(12);
    expect(r.usage.outputTokens).toBe(3);
    const [seen] = wire.requestsFor(vendor);
    expect(auth(seen!.headers)).toBe('Bearer sk-wire');
    expect(seen!.model).toMatch(/gpt-4o-mini|llama-3|claude|gemini/);
    expect(seen!.lastUserText).toBe('say hi');
  });

  it('echoes by default', async () => {
    expect((await generateText({ model: model(), prompt: 'ping' })).text).toBe('echo: ping');
  });

  it('answers structured output the SDK validates, scripted and by default', async () => {
    wire.script(vendor, [{ json: { title: 'T', steps: ['a', 'b'] } }]);
    const scripted = await generateText({ model: model(), prompt: 'plan', output: Output.object({ schema: Plan }) });
    expect(scripted.output).toEqual({ title: 'T', steps: ['a', 'b'] });
    expect(wire.requestsFor(vendor)[0]!.jsonSchema).toMatchObject({ type: 'object' });
    const sampled = await generateText({ model: model(), prompt: 'plan', output: Output.object({ schema: Plan }) });
    expect(Plan.parse(sampled.output)).toEqual({ title: 'sample', steps: ['sample'] });
  });

  it('answers tool calls with their input', async () => {
    wire.script(vendor, [{ toolCalls: [{ name: 'create_issue', input: { summary: 'Bug' } }] }]);
    const r = await generateText({
      model: model(),
      prompt: 'file it',
      tools: {
        create_issue: tool({
          description: 'Files an issue',
          inputSchema: jsonSchema({ type: 'object', properties: { summary: { type: 'string' } } }),
        }),
      },
    });
    expect(r.toolCalls.map((c) => [c.toolName, c.input])).toEqual([['create_issue', { summary: 'Bug' }]]);
    expect(wire.requestsFor(vendor)[0]!.toolNames).toContain('create_issue');
  });

  it('streams a text and tool calls over SSE', async () => {
    wire.script(vendor, [{ text: 'one two three four five six', usage: { inputTokens: 5, outputTokens: 6 } }]);
    const s = streamText({ model: model(), prompt: 'count' });
    const chunks: string[] = [];
    for await (const c of s.textStream) chunks.push(c);
    expect(chunks.join('')).toBe('one two three four five six');
    expect(chunks.length).toBeGreaterThan(1);
    expect((await s.usage).outputTokens).toBe(6);
    expect(wire.requestsFor(vendor)[0]!.stream).toBe(true);

    wire.script(vendor, [{ toolCalls: [{ name: 'lookup', input: { q: 'x' } }] }]);
    const t = streamText({
      model: model(),
      prompt: 'look',
      tools: { lookup: tool({ inputSchema: z.object({ q: z.string() }) }) },
    });
    expect((await t.toolCalls).map((c) => [c.toolName, c.input])).toEqual([['lookup', { q: 'x' }]]);
  });

  it('streams structured output', async () => {
    wire.script(vendor, [{ json: { title: 'S', steps: ['x'] } }]);
    const s = streamText({ model: model(), prompt: 'plan', output: Output.object({ schema: Plan }) });
    expect(await s.output).toEqual({ title: 'S', steps: ['x'] });
  });

  it.each([
    ['rate_limit', 429],
    ['server', 500],
  ] as const)('fails with %s as the vendor does', async (fail, status) => {
    wire.script(vendor, [{ fail, retryAfterSeconds: 7 }]);
    const err = await generateText({ model: model(), prompt: 'x', maxRetries: 0 }).catch((e: unknown) => e);
    expect(APICallError.isInstance(err)).toBe(true);
    expect((err as APICallError).statusCode).toBe(status);
    if (vendor !== 'google' && fail === 'rate_limit')
      expect((err as APICallError).responseHeaders?.['retry-after']).toBe('7');
  });

  it('never answers a hang, so an abort ends it', async () => {
    wire.script(vendor, [{ hang: true }]);
    const err = await generateText({
      model: model(),
      prompt: 'x',
      maxRetries: 0,
      abortSignal: AbortSignal.timeout(200),
    }).catch((e: unknown) => e);
    expect(String((err as Error).name)).toMatch(/Abort|Timeout/);
  });

  it('answers a content-filter stop as the finish reason', async () => {
    wire.script(vendor, [{ safety: true }]);
    const r = await generateText({ model: model(), prompt: 'x' });
    expect(r.finishReason).toBe('content-filter');
  });
});
