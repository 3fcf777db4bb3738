// The gateway on the real path: each provider type's real @ai-sdk client against the rig.wire server, the
// org's providers, secrets and records in the run's PostgreSQL. Text, structured output, tool calls, streaming.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { LlmCallRow, LlmProviderType } from '../../core/llm/llm-rows.js';
import { addWireProvider, DEFAULT_MODEL, testGateway, useLlmRig } from '../helpers/llm.js';
import { createOrg } from '../helpers/stack.js';
import { platformRegistry } from '../../core/metrics/platform-metrics.js';

/** A counter's value for exactly these labels in this process's platform registry (0 when absent). */
async function counted(name: string, labels: Record<string, string>): Promise<number> {
  const metric = await platformRegistry.getSingleMetric(name)?.get();
  const hit = metric?.values.find((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want));
  return hit?.value ?? 0;
}

const rig = useLlmRig();

const TYPES: LlmProviderType[] = ['openai', 'anthropic', 'google', 'openai-compatible', 'azure-openai'];
const Plan = z.object({ title: z.string(), steps: z.array(z.string()).min(1) });

/** How each vendor carries the key, read back from the recorded request. */
function keyHeld(type: LlmProviderType, headers: Record<string, unknown>): unknown {
  if (type === 'anthropic') return headers['x-api-key'];
  if (type === 'google') return headers['x-goog-api-key'];
  if (type === 'azure-openai') return headers['api-key'];
  return String(headers.authorization).replace(/^Bearer /, '');
}

describe.each(TYPES)('a %s provider through the gateway', (type) => {
  it('answers a text, priced and recorded, with the key sent as the vendor expects', async () => {
    const { org } = await createOrg(rig.db, `llm ${type}`);
    const p = await addWireProvider(rig.db, rig.wire, org.id, type);
    rig.wire.script(p.label, [{ text: 'Hello from the model', usage: { inputTokens: 1000, outputTokens: 500 } }]);
    const gateway = testGateway(rig.db, { prices: { [DEFAULT_MODEL[type]]: { inputPerMTok: 2, outputPerMTok: 10 } } });
    const before = {
      output: await counted('collexa_llm_tokens_total', { provider: type, direction: 'output' }),
      cost: await counted('collexa_llm_cost_usd_total', { provider: type }),
    };

    const r = await gateway.generate({
      orgId: org.id,
      purpose: 'test.text',
      sourceId: 'attempt-1',
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Say hello' }],
    });

    expect(r).toMatchObject({
      text: 'Hello from the model',
      provider: { id: p.id, name: p.name, type },
      model: DEFAULT_MODEL[type],
      usage: { inputTokens: 1000, outputTokens: 500 },
      costUsd: 0.007,
      cacheHit: false,
      toolCalls: [],
      fellBackFrom: [],
    });
    const [seen] = rig.wire.requestsFor(p.label);
    expect(keyHeld(type, seen!.headers)).toBe(p.key);
    expect(seen!.lastUserText).toBe('Say hello');
    if (type === 'azure-openai') {
      expect(seen!.path).toBe(`/openai/deployments/${DEFAULT_MODEL[type]}/chat/completions`);
      expect(seen!.query.get('api-version')).toBe('2024-10-21');
      expect(seen!.headers.authorization).toBeUndefined();
    } else expect(seen!.model).toBe(DEFAULT_MODEL[type]);
    const row = (await rig.db('llm_calls').where({ id: r.callId }).first()) as LlmCallRow;
    expect(row).toMatchObject({
      org_id: org.id,
      provider_id: p.id,
      provider_type: type,
      model: DEFAULT_MODEL[type],
      purpose: 'test.text',
      source_id: 'attempt-1',
      input_tokens: 1000,
      output_tokens: 500,
      priced: true,
      cache_hit: false,
      status: 'ok',
      error_code: null,
    });
    expect(Number(row.cost_usd)).toBe(0.007);
    expect(row.latency_ms).toBeGreaterThanOrEqual(0);
    // GET /metrics' LLM counters (collexa_llm_*) moved by this call's tokens and cost.
    expect((await counted('collexa_llm_tokens_total', { provider: type, direction: 'output' })) - before.output).toBe(
      500,
    );
    expect((await counted('collexa_llm_cost_usd_total', { provider: type })) - before.cost).toBeCloseTo(0.007, 9);
  });

  it('answers structured output validated by the zod schema', async () => {
    const { org } = await createOrg(rig.db, `llm ${type} json`);
    const p = await addWireProvider(rig.db, rig.wire, org.id, type);
    rig.wire.script(p.label, [{ json: { title: 'Ship it', steps: ['build', 'test'] } }]);
    const r = await testGateway(rig.db).generate({
      orgId: org.id,
      purpose: 'test.plan',
      messages: [{ role: 'user', content: 'Plan' }],
      schema: Plan,
      schemaName: 'plan',
    });
    expect(r.object).toEqual({ title: 'Ship it', steps: ['build', 'test'] });
    expect(rig.wire.requestsFor(p.label)[0]!.jsonSchema).toMatchObject({
      type: 'object',
      required: ['title', 'steps'],
    });
  });

  it('answers the tool calls the model proposes, running none', async () => {
    const { org } = await createOrg(rig.db, `llm ${type} tools`);
    const p = await addWireProvider(rig.db, rig.wire, org.id, type);
    rig.wire.script(p.label, [{ toolCalls: [{ name: 'jira_create_issue', input: { summary: 'Login broken' } }] }]);
    const r = await testGateway(rig.db).generate({
      orgId: org.id,
      purpose: 'test.tools',
      messages: [{ role: 'user', content: 'File the bug' }],
      tools: [
        {
          name: 'jira_create_issue',
          description: 'Files a Jira issue',
          inputSchema: { type: 'object', properties: { summary: { type: 'string' } }, required: ['summary'] },
        },
      ],
    });
    expect(r.toolCalls).toEqual([{ toolName: 'jira_create_issue', input: { summary: 'Login broken' } }]);
    expect(rig.wire.requestsFor(p.label)[0]!.toolNames).toEqual(['jira_create_issue']);
  });

  it('streams from the provider, reporting progress per chunk', async () => {
    const { org } = await createOrg(rig.db, `llm ${type} stream`);
    const p = await addWireProvider(rig.db, rig.wire, org.id, type);
    rig.wire.script(p.label, [
      { text: 'one two three four five six seven', usage: { inputTokens: 9, outputTokens: 7 } },
    ]);
    const progress: number[] = [];
    const r = await testGateway(rig.db).generate({
      orgId: org.id,
      purpose: 'test.stream',
      messages: [{ role: 'user', content: 'Count' }],
      stream: true,
      onProgress: (x) => progress.push(x.chars),
    });
    expect(r.text).toBe('one two three four five six seven');
    expect(r.usage).toEqual({ inputTokens: 9, outputTokens: 7 });
    expect(rig.wire.requestsFor(p.label)[0]!.stream).toBe(true);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toBe(r.text.length);
  });
});

describe('records and prices', () => {
  it('records an unknown model as unpriced at 0, and one record per source id on a retry', async () => {
    const { org } = await createOrg(rig.db, 'llm unpriced');
    const p = await addWireProvider(rig.db, rig.wire, org.id, 'openai-compatible', { model: 'my-own-model' });
    const gateway = testGateway(rig.db);
    const req = {
      orgId: org.id,
      purpose: 'test.retry',
      sourceId: 'stage-attempt-7',
      messages: [{ role: 'user' as const, content: 'x' }],
      cache: 'bypass' as const,
    };
    const first = await gateway.generate(req);
    const second = await gateway.generate(req);
    expect(first.costUsd).toBe(0);
    expect(second.callId).toBe(first.callId);
    const rows = (await rig.db('llm_calls').where({ org_id: org.id, source_id: 'stage-attempt-7' })) as LlmCallRow[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ priced: false, provider_id: p.id });
    expect(Number(rows[0]!.cost_usd)).toBe(0);
  });

  it('prices a model by its family from the default table', async () => {
    const { org } = await createOrg(rig.db, 'llm priced');
    const p = await addWireProvider(rig.db, rig.wire, org.id, 'openai', { model: 'gpt-4o-mini-2024-07-18' });
    rig.wire.script(p.label, [{ text: 'ok', usage: { inputTokens: 1_000_000, outputTokens: 1_000_000 } }]);
    const r = await testGateway(rig.db).generate({
      orgId: org.id,
      purpose: 't',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(r.costUsd).toBe(0.75);
  });
});
