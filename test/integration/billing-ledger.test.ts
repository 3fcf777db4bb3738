// The cost ledger over real sources: succeeded tool calls through the real worker and MCP server, LLM calls and
// sandbox minutes as their features record them; priced from the config's table, one entry per source.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { recordLlmCalls, recordSandboxMinutes } from '../helpers/ledger-sources.js';
import { createServerAndAgent, startPlatform, userWithRole } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';
import { expectEnvelope } from '../helpers/envelope.js';

let platform: Awaited<ReturnType<typeof startPlatform>>;
let mcpHttp: HttpMcpServer;
beforeAll(async () => {
  mcpHttp = await startHttpMcpServer();
  platform = await startPlatform({ mcpHealthIntervalMs: 60_000 });
});
afterAll(async () => {
  await platform?.stop();
  await mcpHttp?.stop();
});

const range = () => {
  const now = Date.now();
  return `from=${new Date(now - 3600_000).toISOString()}&to=${new Date(now + 3600_000).toISOString()}`;
};

describe('GET /v1/billing/usage', () => {
  it('sums tool calls, LLM tokens and sandbox minutes by kind, capability and agent, each source once', async () => {
    const { org, adminKey } = await createOrg(platform.db, 'ledger');
    const developer = await userWithRole(platform.db, org.id, 'developer');
    const { agentId } = await createServerAndAgent(
      platform.url,
      adminKey,
      { name: 'srv', transport: 'http', url: mcpHttp.url },
      {
        name: 'metered',
        capabilities: [
          { name: 'sum', tool: 'add', risk: 'low' },
          { name: 'say', tool: 'echo', risk: 'low' },
        ],
      },
    );
    const invoke = (capability: string, input: unknown) =>
      call(`${platform.url}/v1/agents/${agentId}/invoke?wait=30`, {
        method: 'POST',
        key: developer.key,
        json: { capability, input },
      });
    for (const r of [
      await invoke('sum', { a: 1, b: 2 }),
      await invoke('sum', { a: 3, b: 4 }),
      await invoke('say', { text: 'hi' }),
    ])
      expect(r.json.status, JSON.stringify(r.json)).toBe('succeeded');
    await recordLlmCalls(platform.db, org.id, 2);
    await recordSandboxMinutes(platform.db, org.id, 2.5);

    const byKind = await call(`${platform.url}/v1/billing/usage?${range()}&groupBy=kind`, { key: adminKey });
    expect(byKind.status, byKind.text).toBe(200);
    // Default prices: 1000 µ per tool call, 2000 µ per sandbox minute; an LLM call at the cost the gateway
    // recorded for it ($0.0003 each).
    expect(byKind.json.data).toEqual([
      { key: 'llm_call', entries: 2, quantity: 300, amountMicros: 600, amountMinor: 1 },
      { key: 'sandbox_minutes', entries: 1, quantity: 2.5, amountMicros: 5000, amountMinor: 1 },
      { key: 'tool_call', entries: 3, quantity: 3, amountMicros: 3000, amountMinor: 1 },
    ]);
    expect(byKind.json.monthToDate.spentMicros).toBe(600 + 5000 + 3000);

    const byCapability = await call(`${platform.url}/v1/billing/usage?${range()}&groupBy=capability`, {
      key: adminKey,
    });
    expect(byCapability.json.data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: 'sum', entries: 2, amountMicros: 2000 }),
        expect.objectContaining({ key: 'say', entries: 1, amountMicros: 1000 }),
      ]),
    );
    const byAgent = await call(`${platform.url}/v1/billing/usage?${range()}&groupBy=agent`, { key: adminKey });
    expect(byAgent.json.data).toContainEqual(expect.objectContaining({ key: agentId, entries: 3 }));

    // Asking again collects again: every source is already there, nothing doubles.
    const again = await call(`${platform.url}/v1/billing/usage?${range()}&groupBy=kind`, { key: adminKey });
    expect(again.json.data).toEqual(byKind.json.data);
    expect(Number((await platform.db('cost_ledger').where({ org_id: org.id }).count())[0]!.count)).toBe(6);

    // Another org sees none of it.
    const other = await createOrg(platform.db, 'ledger-other');
    const theirs = await call(`${platform.url}/v1/billing/usage?${range()}`, { key: other.adminKey });
    expect(theirs.json.data).toEqual([]);
  });

  it('refuses a bad range or grouping with a 400 envelope', async () => {
    const { adminKey } = await createOrg(platform.db, 'ledger-bad');
    const now = new Date().toISOString();
    expectEnvelope(
      await call(`${platform.url}/v1/billing/usage?from=${now}&to=${now}`, { key: adminKey }),
      400,
      'invalid_range',
    );
    expectEnvelope(
      await call(`${platform.url}/v1/billing/usage?${range()}&groupBy=planet`, { key: adminKey }),
      400,
      'validation_error',
    );
    expectEnvelope(
      await call(`${platform.url}/v1/billing/usage?from=yesterday&to=now`, { key: adminKey }),
      400,
      'validation_error',
    );
  });
});
