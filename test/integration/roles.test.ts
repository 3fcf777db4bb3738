// Roles on the real path (HTTP API → Temporal → PostgreSQL): who may cancel an invocation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectEnvelope } from '../helpers/envelope.js';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { createServerAndAgent, startPlatform, userWithRole, waitForStatus } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';

let platform: Awaited<ReturnType<typeof startPlatform>>;
let mcpHttp: HttpMcpServer;
let org: Awaited<ReturnType<typeof createOrg>>;
let agentId: string;
type Key = { key: string; userId: string };
let keys: Record<'developer' | 'developer2' | 'approver' | 'viewer' | 'admin', Key>;

const url = () => platform.url;
const invoke = (key: string, capability: string, input: Record<string, unknown>) => call(`${url()}/v1/agents/${agentId}/invoke`, { method: 'POST', key, json: { capability, input } });
const cancel = (key: string, invocationId: string) => call(`${url()}/v1/invocations/${invocationId}/cancel`, { method: 'POST', key });
const auditOf = async (invocationId: string) => (await call(`${url()}/v1/audit?invocationId=${invocationId}&limit=200`, { key: org.adminKey })).json.data as { actor: string; action: string; data: Record<string, unknown> }[];

beforeAll(async () => {
  mcpHttp = await startHttpMcpServer();
  platform = await startPlatform();
  org = await createOrg(platform.db, 'roles');
  ({ agentId } = await createServerAndAgent(url(), org.adminKey, { name: 'open', transport: 'http', url: mcpHttp.url }, { name: 'roles-agent', capabilities: [{ name: 'note', tool: 'record', risk: 'high' }] }));
  const k = async (role: 'developer' | 'approver' | 'viewer' | 'admin') => {
    const issued = await userWithRole(platform.db, org.org.id, role);
    return { key: issued.key, userId: issued.userId };
  };
  keys = { developer: await k('developer'), developer2: await k('developer'), approver: await k('approver'), viewer: await k('viewer'), admin: await k('admin') };
}, 120_000);
afterAll(async () => {
  await platform?.stop();
  await mcpHttp?.stop();
});

describe('cancelling an invocation', () => {
  async function pendingNote(note: string) {
    const r = await invoke(keys.developer.key, 'note', { note });
    expect(r.status, r.text).toBe(202);
    return (await waitForStatus(url(), keys.developer.key, r.json.invocationId, 'pending_approval')) as { invocationId: string; approval: { id: string } };
  }

  it("refuses a viewer's or another developer's cancel with 403, and the invocation carries on", async () => {
    const inv = await pendingNote('not-yours');
    for (const who of [keys.viewer, keys.developer2]) {
      const r = await cancel(who.key, inv.invocationId);
      expectEnvelope(r, 403, 'cancel_forbidden');
    }
    const after = await call(`${url()}/v1/invocations/${inv.invocationId}`, { key: keys.developer.key });
    expect(after.json.status).toBe('pending_approval');
    expect(after.json.approval.status).toBe('pending');
    expect((await auditOf(inv.invocationId)).map((e) => e.action)).not.toContain('invocation.cancel_requested');
    // Still alive in Temporal: an approver's approval runs it.
    const approved = await call(`${url()}/v1/approvals/${inv.approval.id}/approve`, { method: 'POST', key: keys.approver.key, json: {} });
    expect(approved.status, approved.text).toBe(200);
    await waitForStatus(url(), keys.developer.key, inv.invocationId, 'succeeded');
  });

  it.each([
    ['the requester', 'developer', 'requester'],
    ['an admin', 'admin', 'admin'],
    ['an approver of its approval', 'approver', 'approver'],
  ] as const)('lets %s cancel, audited under their user id', async (_who, role, right) => {
    const inv = await pendingNote(`cancel-by-${role}`);
    const r = await cancel(keys[role].key, inv.invocationId);
    expect(r.status, r.text).toBe(200);
    expect(r.json.status).toBe('cancelled');
    const actor = `user:${keys[role].userId}`;
    const events = await auditOf(inv.invocationId);
    expect(events.find((e) => e.action === 'invocation.cancel_requested')).toMatchObject({ actor, data: { as: right, role } });
    expect(events.find((e) => e.action === 'invocation.cancelled')).toMatchObject({ actor });
    expect(events.find((e) => e.action === 'approval.cancelled')).toMatchObject({ actor });
    expect(events.filter((e) => e.actor === 'system' && e.action.endsWith('cancelled'))).toEqual([]);
  });
});
