// Budgets on the real path: PATCH /v1/org sets monthlyBudget; once the org's ledger passes it, a new invocation
// waits for an admin's budget_override approval (the standalone approvals), announced on the org's webhook.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectEnvelope } from '../helpers/envelope.js';
import { recordLlmCalls } from '../helpers/ledger-sources.js';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { createServerAndAgent, startPlatform, userWithRole, waitForStatus } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

let platform: Awaited<ReturnType<typeof startPlatform>>;
let mcpHttp: HttpMcpServer;
let hook: http.Server;
const deliveries: Array<Record<string, unknown>> = [];
let hookUrl = '';
beforeAll(async () => {
  mcpHttp = await startHttpMcpServer();
  platform = await startPlatform({ mcpHealthIntervalMs: 60_000 });
  hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      deliveries.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
});
afterAll(async () => {
  await platform?.stop();
  await mcpHttp?.stop();
  hook?.close();
});

describe('monthly budget', () => {
  it('asks an admin for a budget_override once the month’s cost passes the budget, and notifies the webhook', async () => {
    const { org, adminKey } = await createOrg(platform.db, 'budget');
    const developer = await userWithRole(platform.db, org.id, 'developer');
    const { agentId } = await createServerAndAgent(
      platform.url,
      adminKey,
      { name: 'srv', transport: 'http', url: mcpHttp.url },
      { name: 'spender', capabilities: [{ name: 'sum', tool: 'add', risk: 'low' }] },
    );
    const set = await call(`${platform.url}/v1/org`, {
      method: 'PATCH',
      key: adminKey,
      json: { settings: { monthlyBudget: 1, approvalWebhook: { url: hookUrl, secret: 'a-webhook-secret-1234' } } },
    });
    expect(set.status, set.text).toBe(200);
    expect(set.json.settings.monthlyBudget).toBe(1);
    const invoke = () =>
      call(`${platform.url}/v1/agents/${agentId}/invoke`, {
        method: 'POST',
        key: developer.key,
        json: { capability: 'sum', input: { a: 1, b: 1 } },
      });

    // Under budget (1 cent = 10 000 µ): runs at once.
    const first = await invoke();
    await waitForStatus(platform.url, developer.key, first.json.invocationId, 'succeeded');

    // 40 LLM calls of 300 µ: 12 000 µ, past the budget.
    await recordLlmCalls(platform.db, org.id, 40);
    const held = await invoke();
    const pending = await waitForStatus(platform.url, developer.key, held.json.invocationId, 'pending_approval');
    const approval = (await call(`${platform.url}/v1/approvals/${pending.approval.id}`, { key: adminKey })).json;
    expect(approval).toMatchObject({ subjectType: 'budget_override', approverRoles: ['admin'], status: 'pending' });
    expect(approval.context).toMatchObject({ budgetMinor: 1, capability: 'sum' });
    expect(approval.context.spentMicros).toBeGreaterThanOrEqual(12_000);
    await waitFor(
      () => deliveries,
      (d) => JSON.stringify(d).includes(pending.approval.id as string),
      { what: 'the approval webhook delivery' },
    );
    expect(JSON.stringify(deliveries)).toMatch(/budget_override/);

    // Another admin approves; the call runs.
    const admin2 = await userWithRole(platform.db, org.id, 'admin', 'second admin');
    const ok = await call(`${platform.url}/v1/approvals/${pending.approval.id}/approve`, {
      method: 'POST',
      key: admin2.key,
      json: {},
    });
    expect(ok.status, ok.text).toBe(200);
    await waitForStatus(platform.url, developer.key, held.json.invocationId, 'succeeded');

    // Raising the budget lets calls run at once again.
    await call(`${platform.url}/v1/org`, {
      method: 'PATCH',
      key: adminKey,
      json: { settings: { monthlyBudget: 1000 } },
    });
    const after = await invoke();
    await waitForStatus(platform.url, developer.key, after.json.invocationId, 'succeeded');
  });

  it('refuses a budget that is not a whole non-negative number of minor units', async () => {
    const { adminKey } = await createOrg(platform.db, 'budget-bad');
    for (const monthlyBudget of [-1, 1.5, '100', 1e14])
      expectEnvelope(
        await call(`${platform.url}/v1/org`, { method: 'PATCH', key: adminKey, json: { settings: { monthlyBudget } } }),
        400,
        'validation_error',
      );
  });
});
