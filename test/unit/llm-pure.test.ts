// The LLM layer's pure parts: prices by model family, the cache key and when the cache is used, and the
// error mapping of what the SDK throws (the wire-server tests run the same mapping on the real path).
import { APICallError } from 'ai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cacheKeyOf, usesCache } from '../../core/llm/llm-call-shape.js';
import { mapLlmError } from '../../core/llm/llm-errors.js';
import { LlmPrices } from '../../core/llm/prices.js';
import { Redactor } from '../../core/secrets/redact.js';

describe('LlmPrices', () => {
  it('prices by the longest matching prefix, lets LLM_PRICES override, and leaves unknown models unpriced', () => {
    const prices = new LlmPrices({
      'gpt-4o': { inputPerMTok: 5, outputPerMTok: 15 },
      mine: { inputPerMTok: 1, outputPerMTok: 1 },
    });
    const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000 };
    expect(prices.cost('gpt-4o-mini-2024-07-18', usage)).toEqual({ costUsd: 0.75, priced: true });
    expect(prices.cost('gpt-4o-2024-08-06', usage)).toEqual({ costUsd: 20, priced: true });
    expect(prices.cost('mine-7b', usage)).toEqual({ costUsd: 2, priced: true });
    expect(prices.cost('llama3.1', usage)).toEqual({ costUsd: 0, priced: false });
  });
});

describe('the cache key', () => {
  const base = {
    orgId: 'org-a',
    purpose: 'p',
    messages: [{ role: 'user' as const, content: 'hi' }],
    schema: z.object({ a: z.string() }),
  };
  const primary = { id: 'prov-1', model: 'm' };

  it('is the same for the same call whatever the key order, and differs by org, provider, model, schema and tools', () => {
    const key = cacheKeyOf(base, primary);
    expect(cacheKeyOf({ ...base, purpose: 'other', sourceId: 'x' }, primary)).toBe(key);
    for (const other of [
      cacheKeyOf({ ...base, orgId: 'org-b' }, primary),
      cacheKeyOf(base, { ...primary, id: 'prov-2' }),
      cacheKeyOf(base, { ...primary, model: 'n' }),
      cacheKeyOf({ ...base, schema: z.object({ a: z.number() }) }, primary),
      cacheKeyOf({ ...base, temperature: 0.5 }, primary),
      cacheKeyOf({ ...base, tools: [{ name: 't', inputSchema: { type: 'object' } }] }, primary),
    ])
      expect(other).not.toBe(key);
  });

  it('is used for deterministic settings, forced or bypassed on request, and never with a TTL of 0', () => {
    expect(usesCache(base, 60)).toBe(true);
    expect(usesCache({ ...base, temperature: 0 }, 60)).toBe(true);
    expect(usesCache({ ...base, temperature: 0.2 }, 60)).toBe(false);
    expect(usesCache({ ...base, temperature: 0.2, cache: 'force' }, 60)).toBe(true);
    expect(usesCache({ ...base, cache: 'bypass' }, 60)).toBe(false);
    expect(usesCache({ ...base, cache: 'force' }, 0)).toBe(false);
  });
});

describe('mapLlmError', () => {
  const ctx = { provider: 'p', redactor: new Redactor([{ name: 'KEY', value: 'sk-secret' }]), timedOut: false };
  const apiError = (statusCode: number, body: unknown, headers: Record<string, string> = {}) =>
    new APICallError({
      message: 'x',
      url: 'http://h',
      requestBodyValues: {},
      statusCode,
      responseHeaders: headers,
      responseBody: JSON.stringify(body),
    });

  it('reads Retry-After as seconds or an HTTP date, retry-after-ms, and caps it', () => {
    const err = (h: Record<string, string>) => mapLlmError(apiError(429, { error: { message: 'slow' } }, h), ctx);
    expect(err({ 'retry-after': '7' }).details.retryAfterSeconds).toBe(7);
    expect(err({ 'retry-after-ms': '1500' }).details.retryAfterSeconds).toBe(2);
    const date = new Date(Date.now() + 30_000).toUTCString();
    expect(err({ 'retry-after': date }).details.retryAfterSeconds).toBeGreaterThanOrEqual(28);
    expect(err({ 'retry-after': '999999' }).details.retryAfterSeconds).toBe(3600);
    expect(err({}).details.retryAfterSeconds).toBeUndefined();
    expect(err({ 'retry-after': '7' }).headers['retry-after']).toBe('7');
  });

  it('maps an unknown model (404) to llm_bad_request and a timeout flag to llm_timeout, redacting secrets', () => {
    const e = mapLlmError(apiError(404, { error: { message: 'model sk-secret not found' } }), ctx);
    expect(e.code).toBe('llm_bad_request');
    expect(e.message).toBe('LLM provider "p": model [secret:KEY] not found');
    expect(mapLlmError(new Error('aborted'), { ...ctx, timedOut: true }).code).toBe('llm_timeout');
    expect(mapLlmError(new TypeError('fetch failed'), ctx).code).toBe('llm_unavailable');
  });
});
