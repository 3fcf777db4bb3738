// Roles on the real path (HTTP API → Temporal → PostgreSQL): who may cancel an invocation, and denied calls
// that must not spend the rate tokens of the server and org everyone else shares.
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
const invoke = (key: string, capability: string, input: Record<string, unknown>) =>
  call(`${url()}/v1/agents/${agentId}/invoke`, { method: 'POST', key, json: { capability, input } });
const cancel = (key: string, invocationId: string) =>
  call(`${url()}/v1/invocations/${invocationId}/cancel`, { method: 'POST', key });
const auditOf = async (invocationId: string) =>
  (await call(`${url()}/v1/audit?invocationId=${invocationId}&limit=200`, { key: org.adminKey })).json.data as {
    actor: string;
    action: string;
    data: Record<string, unknown>;
  }[];

beforeAll(async () => {
  mcpHttp = await startHttpMcpServer();
  platform = await startPlatform();
  org = await createOrg(platform.db, 'roles');
  ({ agentId } = await createServerAndAgent(
    url(),
    org.adminKey,
    { name: 'open', transport: 'http', url: mcpHttp.url },
    { name: 'roles-agent', capabilities: [{ name: 'note', tool: 'record', risk: 'high' }] },
  ));
  const k = async (role: 'developer' | 'approver' | 'viewer' | 'admin') => {
    const issued = await userWithRole(platform.db, org.org.id, role);
    return { key: issued.key, userId: issued.userId };
  };
  keys = {
    developer: await k('developer'),
    developer2: await k('developer'),
    approver: await k('approver'),
    viewer: await k('viewer'),
    admin: await k('admin'),
  };
}, 120_000);
afterAll(async () => {
  await platform?.stop();
  await mcpHttp?.stop();
});

describe('cancelling an invocation', () => {
  async function pendingNote(note: string) {
    const r = await invoke(keys.developer.key, 'note', { note });
    expect(r.status, r.text).toBe(202);
    return (await waitForStatus(url(), keys.developer.key, r.json.invocationId, 'pending_approval')) as {
      invocationId: string;
      approval: { id: string };
    };
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
    const approved = await call(`${url()}/v1/approvals/${inv.approval.id}/approve`, {
      method: 'POST',
      key: keys.approver.key,
      json: {},
    });
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
    expect(events.find((e) => e.action === 'invocation.cancel_requested')).toMatchObject({
      actor,
      data: { as: right, role },
    });
    expect(events.find((e) => e.action === 'invocation.cancelled')).toMatchObject({ actor });
    expect(events.find((e) => e.action === 'approval.cancelled')).toMatchObject({ actor });
    expect(events.filter((e) => e.actor === 'system' && e.action.endsWith('cancelled'))).toEqual([]);
  });
});

describe('calls policy denies', () => {
  /** An org of its own with the rated server: its rate buckets are the org's and the server's, spent by no other test. */
  async function ratedOrg() {
    const o = await createOrg(platform.db, 'roles-rated');
    // Tight limits on purpose: two calls a second for the server, four for the org.
    const { agentId: ratedAgentId } = await createServerAndAgent(
      url(),
      o.adminKey,
      { name: 'rated', transport: 'http', url: mcpHttp.url, limits: { ratePerSecond: 2, orgRatePerSecond: 4 } },
      { name: 'rated-agent', capabilities: [{ name: 'sum', tool: 'add', risk: 'low' }] },
    );
    const invokeSum = (key: string, n: number) =>
      call(`${url()}/v1/agents/${ratedAgentId}/invoke`, {
        method: 'POST',
        key,
        json: { capability: 'sum', input: { a: n, b: 1 } },
      });
    return {
      orgId: o.org.id,
      invokeSum,
      viewer: await userWithRole(platform.db, o.org.id, 'viewer'),
      admin: await userWithRole(platform.db, o.org.id, 'admin'),
    };
  }

  it("spend none of the server's rate tokens: a viewer's flood leaves an admin's calls alone and ends in 429 for the viewer", async () => {
    const { invokeSum, viewer, admin: adminUser } = await ratedOrg();
    // The flood: far more than the server's two calls a second, all from a viewer (who may invoke nothing).
    const flood = await Promise.all(Array.from({ length: 12 }, (_, i) => invokeSum(viewer.key, i)));
    const admitted = flood.filter((r) => r.status === 202);
    const limited = flood.filter((r) => r.status === 429);
    expect(admitted.length + limited.length, JSON.stringify(flood.map((r) => r.status))).toBe(12);
    expect(admitted.length).toBeGreaterThan(0);
    expect(limited.length).toBeGreaterThan(0);
    for (const r of limited) {
      expectEnvelope(r, 429, 'rate_limited');
      expect(r.json.error.details).toMatchObject({ limit: 'deniedRatePerSecond', value: 2 });
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    // Right after the flood, the server's own two tokens are still there for the admin.
    const admin = await Promise.all([invokeSum(adminUser.key, 100), invokeSum(adminUser.key, 200)]);
    expect(
      admin.map((r) => r.status),
      admin.map((r) => r.text).join('\n'),
    ).toEqual([202, 202]);
    for (const r of admin) await waitForStatus(url(), adminUser.key, r.json.invocationId, 'succeeded');
    // The admitted denials ran to their recorded denial, as before.
    for (const r of admitted) {
      const done = await waitForStatus(url(), viewer.key, r.json.invocationId, 'denied');
      expect(done.error).toMatchObject({ code: 'policy_denied' });
    }
  });

  it("keep one key's denials to its own bucket: another viewer key is not limited by the first one's flood", async () => {
    const { orgId, invokeSum, viewer } = await ratedOrg();
    await Promise.all(Array.from({ length: 6 }, (_, i) => invokeSum(viewer.key, i)));
    const other = await userWithRole(platform.db, orgId, 'viewer', 'second viewer');
    const r = await invokeSum(other.key, 1);
    expect(r.status, r.text).toBe(202);
    expect((await waitForStatus(url(), other.key, r.json.invocationId, 'denied')).error).toMatchObject({
      code: 'policy_denied',
    });
  });
});

describe('an API without the policy bundle', () => {
  let bare: Awaited<ReturnType<typeof startPlatform>>;
  beforeAll(async () => {
    bare = await startPlatform({ apiPolicy: false });
  }, 120_000);
  afterAll(async () => {
    await bare?.stop();
  });

  it("gets a denied call's rate tokens back once the workflow denies it", async () => {
    const o = await createOrg(bare.db, 'roles-refund');
    // One call a second: the viewer's call takes the only token, the denial must give it back.
    const { agentId: id } = await createServerAndAgent(
      bare.url,
      o.adminKey,
      { name: 'single', transport: 'http', url: mcpHttp.url, limits: { ratePerSecond: 1 } },
      { name: 'single-agent', capabilities: [{ name: 'sum', tool: 'add', risk: 'low' }] },
    );
    const viewer = await userWithRole(bare.db, o.org.id, 'viewer');
    const sum = (key: string) =>
      call(`${bare.url}/v1/agents/${id}/invoke`, {
        method: 'POST',
        key,
        json: { capability: 'sum', input: { a: 1, b: 2 } },
      });
    const started = Date.now();
    const denied = await sum(viewer.key);
    expect(denied.status, denied.text).toBe(202);
    await waitForStatus(bare.url, viewer.key, denied.json.invocationId, 'denied', 5_000);
    const admin = await sum(o.adminKey);
    // Meaningful only inside the second the viewer's token would otherwise have held the bucket.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(admin.status, admin.text).toBe(202);
  });
});
