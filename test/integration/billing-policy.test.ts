// The org's Stripe subscription, synced from signed webhooks, feeds the invoke policy: past_due asks an admin
// for high-risk calls, canceled lets only read-only tools run. Real API, worker, MCP server and stripe-mock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { createServerAndAgent, startPlatform, userWithRole, waitForStatus } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';
import { deliver, stripeEvent, subscription } from '../helpers/stripe-events.js';
import { waitFor } from '../helpers/wait.js';

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

async function orgOnStatus(status: string) {
  const { org, adminKey } = await createOrg(platform.db, `billing-policy-${status}`);
  const developer = await userWithRole(platform.db, org.id, 'developer');
  const { agentId } = await createServerAndAgent(
    platform.url,
    adminKey,
    { name: 'srv', transport: 'http', url: mcpHttp.url },
    {
      name: 'ops',
      capabilities: [
        { name: 'note', tool: 'record', risk: 'high' },
        { name: 'write', tool: 'add', risk: 'low' },
        { name: 'read', tool: 'echo', risk: 'low' },
      ],
    },
  );
  const customer = await call(`${platform.url}/v1/billing/customer`, { method: 'POST', key: adminKey });
  await deliver(
    platform.url,
    stripeEvent('customer.subscription.updated', subscription(customer.json.customerId, status)),
  );
  await waitFor(
    async () => (await call(`${platform.url}/v1/billing`, { key: adminKey })).json,
    (b) => b.subscriptionStatus === status,
    { what: `the subscription to be ${status}` },
  );
  const invoke = (capability: string, input: unknown) =>
    call(`${platform.url}/v1/agents/${agentId}/invoke?wait=30`, {
      method: 'POST',
      key: developer.key,
      json: { capability, input },
    });
  return { invoke, developer, agentId };
}

describe('plan and subscription status in the invoke policy', () => {
  it('past_due: a high-risk call waits for an admin (not an approver); a low-risk one runs', async () => {
    const { invoke, developer, agentId } = await orgOnStatus('past_due');
    const high = await call(`${platform.url}/v1/agents/${agentId}/invoke`, {
      method: 'POST',
      key: developer.key,
      json: { capability: 'note', input: { note: 'past-due-note' } },
    });
    expect(high.status, high.text).toBe(202);
    const pending = await waitForStatus(platform.url, developer.key, high.json.invocationId, 'pending_approval');
    expect(pending.approval.approverRoles).toEqual(['admin']);
    expect(pending.decision.reasons[0]).toMatch(/past_due/);
    const low = await invoke('write', { a: 1, b: 2 });
    expect(low.json.status, low.text).toBe('succeeded');
  });

  it('canceled: a write is denied by policy, a read-only tool still runs', async () => {
    const { invoke } = await orgOnStatus('canceled');
    const write = await invoke('write', { a: 1, b: 2 });
    expect(write.json.status, write.text).toBe('denied');
    expect(write.json.error.message).toMatch(/canceled: only read-only/);
    const read = await invoke('read', { text: 'still readable' });
    expect(read.json.status, read.text).toBe('succeeded');
  });

  it('active: nothing changes (a high-risk call may be approved by an approver)', async () => {
    const { invoke } = await orgOnStatus('active');
    const write = await invoke('write', { a: 2, b: 3 });
    expect(write.json.status, write.text).toBe('succeeded');
  });
});
