// Fallback from a failing provider to the next (500, 429, a hang past the timeout), each vendor's errors
// mapped to the gateway's codes, the final error after every provider failed, and the key kept out of all of it.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '../../core/errors.js';
import { LlmCallError } from '../../core/llm/llm-errors.js';
import type { LlmCallRow, LlmProviderType } from '../../core/llm/llm-rows.js';
import { addWireProvider, testGateway, useLlmRig } from '../helpers/llm.js';
import type { WireAnswer } from '../helpers/llm-wire-server.js';
import { createOrg } from '../helpers/stack.js';

const rig = useLlmRig();

const ask = (orgId: string, extra: object = {}) => ({
  orgId,
  purpose: 'test.fallback',
  messages: [{ role: 'user' as const, content: 'Hello' }],
  cache: 'bypass' as const,
  ...extra,
});

async function failure(p: Promise<unknown>): Promise<LlmCallError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LlmCallError);
  return err as LlmCallError;
}

describe('fallback by priority', () => {
  it.each([
    ['a 500', { fail: 'server' }, 'llm_unavailable'],
    ['a 429', { fail: 'rate_limit', retryAfterSeconds: 3 }, 'llm_rate_limited'],
    ['a hang past LLM_CALL_TIMEOUT_MS', { hang: true }, 'llm_timeout'],
    ['a content-filter stop', { safety: true }, 'llm_content_filter'],
  ] as [string, WireAnswer, string][])(
    'moves on from %s to the next provider, and records it',
    async (_, answer, code) => {
      const { org } = await createOrg(rig.db, 'llm fallback');
      const first = await addWireProvider(rig.db, rig.wire, org.id, 'openai', { priority: 1 });
      const second = await addWireProvider(rig.db, rig.wire, org.id, 'anthropic', { priority: 2 });
      await addWireProvider(rig.db, rig.wire, org.id, 'google', { priority: 0, enabled: false });
      rig.wire.script(first.label, [answer]);
      rig.wire.script(second.label, [{ text: 'from the second' }]);

      const r = await testGateway(rig.db, { callTimeoutMs: 300 }).generate(ask(org.id));

      expect(r.text).toBe('from the second');
      expect(r.provider.id).toBe(second.id);
      expect(r.fellBackFrom).toEqual([{ providerId: first.id, name: first.name, code }]);
      expect(rig.wire.requestsFor(first.label)).toHaveLength(1);
      const row = (await rig.db('llm_calls').where({ id: r.callId }).first()) as LlmCallRow;
      expect(row).toMatchObject({ provider_id: second.id, status: 'ok', fell_back_from: r.fellBackFrom });
    },
  );

  it('falls back while streaming too', async () => {
    const { org } = await createOrg(rig.db, 'llm fallback stream');
    const first = await addWireProvider(rig.db, rig.wire, org.id, 'google', { priority: 1 });
    const second = await addWireProvider(rig.db, rig.wire, org.id, 'openai-compatible', { priority: 2 });
    rig.wire.script(first.label, [{ fail: 'overloaded' }]);
    rig.wire.script(second.label, [{ text: 'streamed by the second' }]);
    const r = await testGateway(rig.db).generate(ask(org.id, { stream: true }));
    expect(r.text).toBe('streamed by the second');
    expect(r.fellBackFrom.map((f) => f.code)).toEqual(['llm_unavailable']);
  });

  it('ends a stream that stalls after its first chunks as llm_timeout, not a second answer after output', async () => {
    const { org } = await createOrg(rig.db, 'llm stream stall');
    const first = await addWireProvider(rig.db, rig.wire, org.id, 'anthropic', { priority: 1 });
    const second = await addWireProvider(rig.db, rig.wire, org.id, 'openai', { priority: 2 });
    rig.wire.script(first.label, [{ text: 'one two three four five six', stallAfter: 3 }]);
    const chunks: number[] = [];
    const err = await failure(
      testGateway(rig.db, { callTimeoutMs: 300 }).generate(
        ask(org.id, { stream: true, onProgress: (p: { chunks: number }) => chunks.push(p.chunks) }),
      ),
    );
    expect(err.code).toBe('llm_timeout');
    expect(chunks.length).toBeGreaterThan(0);
    expect(rig.wire.requestsFor(second.label)).toHaveLength(0);
  });

  it('skips a provider whose key secret is gone', async () => {
    const { org } = await createOrg(rig.db, 'llm missing secret');
    const first = await addWireProvider(rig.db, rig.wire, org.id, 'openai', { priority: 1 });
    const second = await addWireProvider(rig.db, rig.wire, org.id, 'openai', { priority: 2 });
    await rig.db('secrets').where({ org_id: org.id, name: first.api_key_secret }).delete();
    const r = await testGateway(rig.db).generate(ask(org.id));
    expect(r.provider.id).toBe(second.id);
    expect(r.fellBackFrom).toEqual([{ providerId: first.id, name: first.name, code: 'llm_auth' }]);
    expect(rig.wire.requestsFor(first.label)).toHaveLength(0);
  });

  it('fails with the last mapped error once every provider failed, recording each attempt', async () => {
    const { org } = await createOrg(rig.db, 'llm all fail');
    const first = await addWireProvider(rig.db, rig.wire, org.id, 'openai', { priority: 1 });
    const second = await addWireProvider(rig.db, rig.wire, org.id, 'anthropic', { priority: 2 });
    rig.wire.script(first.label, [{ fail: 'server' }]);
    rig.wire.script(second.label, [{ fail: 'rate_limit', retryAfterSeconds: 12 }]);
    const err = await failure(testGateway(rig.db).generate(ask(org.id, { sourceId: 'all-fail' })));
    expect(err.code).toBe('llm_rate_limited');
    expect(err.httpStatus).toBe(429);
    expect(err.headers['retry-after']).toBe('12');
    expect(err.details).toMatchObject({
      retryAfterSeconds: 12,
      attempts: [
        { providerId: first.id, code: 'llm_unavailable' },
        { providerId: second.id, code: 'llm_rate_limited' },
      ],
    });
    const row = (await rig.db('llm_calls').where({ org_id: org.id, source_id: 'all-fail' }).first()) as LlmCallRow;
    expect(row).toMatchObject({ status: 'error', error_code: 'llm_rate_limited', provider_id: second.id });
    expect(row.fell_back_from).toEqual([{ providerId: first.id, name: first.name, code: 'llm_unavailable' }]);
  });

  it('answers 409 llm_not_configured naming what to set, with no provider or only disabled ones', async () => {
    const { org } = await createOrg(rig.db, 'llm none');
    const gateway = testGateway(rig.db);
    for (let i = 0; i < 2; i++) {
      const err = await gateway.generate(ask(org.id)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ code: 'llm_not_configured', httpStatus: 409 });
      expect((err as Error).message).toContain('POST /v1/llm/providers');
      expect((err as Error).message).toContain('secret:NAME');
      await expect(gateway.assertConfigured(org.id)).rejects.toMatchObject({ code: 'llm_not_configured' });
      await addWireProvider(rig.db, rig.wire, org.id, 'openai', { enabled: false });
    }
  });
});

const VENDORS: LlmProviderType[] = ['openai', 'anthropic', 'google'];
const MAPPINGS: [WireAnswer, string, number][] = [
  [{ fail: 'auth' }, 'llm_auth', 424],
  [{ fail: 'rate_limit', retryAfterSeconds: 20 }, 'llm_rate_limited', 429],
  [{ fail: 'context_length' }, 'llm_context_length', 422],
  [{ fail: 'content_filter' }, 'llm_content_filter', 422],
  [{ fail: 'server' }, 'llm_unavailable', 503],
  [{ fail: 'overloaded' }, 'llm_unavailable', 503],
  [{ safety: true }, 'llm_content_filter', 422],
  [{ hang: true }, 'llm_timeout', 504],
];

describe.each(VENDORS)('%s errors', (type) => {
  it.each(MAPPINGS)('maps %j to %s (%i)', async (answer, code, status) => {
    const { org } = await createOrg(rig.db, `llm errors ${type}`);
    const p = await addWireProvider(rig.db, rig.wire, org.id, type);
    rig.wire.script(p.label, [answer]);
    const err = await failure(testGateway(rig.db, { callTimeoutMs: 300 }).generate(ask(org.id)));
    expect(err.code).toBe(code);
    expect(err.httpStatus).toBe(status);
    expect(err.message).toContain(p.name);
    if (code === 'llm_rate_limited') expect(err.details.retryAfterSeconds).toBe(20);
  });

  it('maps an output that fails the schema to llm_bad_output', async () => {
    const { org } = await createOrg(rig.db, `llm bad output ${type}`);
    const p = await addWireProvider(rig.db, rig.wire, org.id, type);
    rig.wire.script(p.label, [{ json: { title: 42 } }]);
    const err = await failure(
      testGateway(rig.db).generate(
        ask(org.id, { schema: z.object({ title: z.string(), steps: z.array(z.string()) }) }),
      ),
    );
    expect(err.code).toBe('llm_bad_output');
    expect(err.httpStatus).toBe(502);
  });

  it('keeps the key out of the error, its details and the record when the vendor echoes it', async () => {
    const { org } = await createOrg(rig.db, `llm leak ${type}`);
    const p = await addWireProvider(rig.db, rig.wire, org.id, type);
    rig.wire.script(p.label, [{ fail: 'auth', message: `Incorrect API key provided: ${p.key}.` }]);
    const err = await failure(testGateway(rig.db).generate(ask(org.id, { sourceId: 'leak' })));
    expect(err.code).toBe('llm_auth');
    expect(err.message).toContain(`[secret:${p.api_key_secret}]`);
    const everything = JSON.stringify({
      message: err.message,
      details: err.details,
      stack: err.stack,
      row: await rig.db('llm_calls').where({ org_id: org.id }),
      provider: await rig.db('llm_providers').where({ org_id: org.id }),
    });
    expect(everything).not.toContain(p.key);
  });
});
