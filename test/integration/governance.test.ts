// Changes that weaken governance need an admin and leave a trail (before and after) in the audit log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { createServerAndAgent, startPlatform, userWithRole } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';

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

async function setup() {
  const o = await createOrg(platform.db, 'governance');
  const developer = await userWithRole(platform.db, o.org.id, 'developer');
  const { agentId } = await createServerAndAgent(
    platform.url,
    o.adminKey,
    { name: 'srv', transport: 'http', url: mcpHttp.url },
    {
      name: 'gov',
      capabilities: [
        { name: 'note', tool: 'record', risk: 'critical' },
        { name: 'say', tool: 'echo', risk: 'low' },
      ],
    },
  );
  const patch = (key: string, capabilities: unknown[]) =>
    call(`${platform.url}/v1/agents/${agentId}`, { method: 'PATCH', key, json: { capabilities } });
  const audit = (action: string) =>
    platform.db('audit_events').where({ org_id: o.org.id, action }).orderBy('created_at');
  return { ...o, developer, agentId, patch, audit };
}

describe('agent changes', () => {
  it('refuses a developer lowering a capability risk or rebinding its tool; an admin may, audited before and after', async () => {
    const { adminKey, developer, patch, audit, agentId } = await setup();
    const lowered = await patch(developer.key, [
      { name: 'note', server: 'srv', tool: 'record', risk: 'low' },
      { name: 'say', server: 'srv', tool: 'echo', risk: 'low' },
    ]);
    expect(lowered.status).toBe(403);
    expect(lowered.json.error.message).toMatch(/lowering the risk of capability "note" from critical to low/);
    const rebound = await patch(developer.key, [
      { name: 'note', server: 'srv', tool: 'record', risk: 'critical' },
      { name: 'say', server: 'srv', tool: 'add', risk: 'low' },
    ]);
    expect(rebound.status).toBe(403);
    // Raising a risk, or editing without weakening, is fine for a developer.
    expect(
      (
        await patch(developer.key, [
          { name: 'note', server: 'srv', tool: 'record', risk: 'critical' },
          { name: 'say', server: 'srv', tool: 'echo', risk: 'medium' },
        ])
      ).status,
    ).toBe(200);
    // The critical capability still needs an approval.
    const inv = await call(`${platform.url}/v1/agents/${agentId}/invoke`, {
      method: 'POST',
      key: developer.key,
      json: { capability: 'note', input: { note: 'x' } },
    });
    expect(inv.status, inv.text).toBe(202);
    expect(inv.json.status, inv.text).toMatch(/pending_approval|running/);

    const byAdmin = await patch(adminKey, [{ name: 'note', server: 'srv', tool: 'record', risk: 'low' }]);
    expect(byAdmin.status, byAdmin.text).toBe(200);
    const updates = await audit('agent.updated');
    expect(updates.at(-1)!.data).toMatchObject({
      before: { capabilities: expect.arrayContaining([expect.objectContaining({ name: 'note', risk: 'critical' })]) },
      after: { capabilities: [expect.objectContaining({ name: 'note', risk: 'low' })] },
    });
    expect(updates.at(-1)!.actor).toMatch(/^user:/);
    expect((await audit('agent.created')).length).toBe(1);
    expect((await call(`${platform.url}/v1/agents/${agentId}`, { method: 'DELETE', key: adminKey })).status).toBe(204);
    expect((await audit('agent.deleted'))[0]!.data).toMatchObject({ name: 'gov' });
  });

  it('never re-pins a changed tool definition through an edit: only the admin repin accepts it', async () => {
    const { developer, patch, agentId, audit } = await setup();
    const before = await platform.db('agent_capabilities').where({ agent_id: agentId, name: 'say' }).first();
    // What a catalog refresh writes when the server starts serving another definition of `echo`.
    const changed = { ...before.tool_definition, description: 'now does something else' };
    await platform
      .db('mcp_tools')
      .where({ server_id: before.server_id, name: 'echo' })
      .update({ definition: JSON.stringify(changed) });
    const edited = await patch(developer.key, [
      { name: 'note', server: 'srv', tool: 'record', risk: 'critical' },
      { name: 'say', server: 'srv', tool: 'echo', risk: 'low', description: 'edited' },
    ]);
    expect(edited.status, edited.text).toBe(200);
    const after = await platform.db('agent_capabilities').where({ agent_id: agentId, name: 'say' }).first();
    expect(after.pinned_hash).toBe(before.pinned_hash);
    expect(after.tool_definition).toEqual(before.tool_definition);
    expect(await audit('capability.repinned')).toEqual([]);
  });
});

describe('server governance and keys', () => {
  it('refuses a developer limits or a lower security level on a server', async () => {
    const o = await createOrg(platform.db, 'server governance');
    const developer = await userWithRole(platform.db, o.org.id, 'developer');
    const post = (key: string, json: unknown) => call(`${platform.url}/v1/mcp-servers`, { method: 'POST', key, json });
    const limited = await post(developer.key, {
      name: 'a',
      transport: 'http',
      url: mcpHttp.url,
      limits: { ratePerSecond: 10_000 },
    });
    expect(limited.status).toBe(403);
    expect(
      (await post(developer.key, { name: 'b', transport: 'http', url: mcpHttp.url, securityLevel: 'low' })).status,
    ).toBe(403);
    expect((await post(developer.key, { name: 'c', template: 'filesystem', securityLevel: 'medium' })).status).toBe(
      403,
    );
    expect(
      (await post(developer.key, { name: 'd', transport: 'http', url: mcpHttp.url, securityLevel: 'critical' })).status,
    ).toBe(201);
    expect(
      (
        await post(o.adminKey, {
          name: 'e',
          transport: 'http',
          url: mcpHttp.url,
          securityLevel: 'low',
          limits: { ratePerSecond: 100 },
        })
      ).status,
    ).toBe(201);
  });

  it('refuses an admin a key for another existing user (no approving as them)', async () => {
    const o = await createOrg(platform.db, 'keys');
    const approver = await userWithRole(platform.db, o.org.id, 'approver');
    const other = await call(`${platform.url}/v1/api-keys`, {
      method: 'POST',
      key: o.adminKey,
      json: { userId: approver.userId },
    });
    expect(other.status).toBe(403);
    expect(other.json.error.message).toMatch(/may not issue a key for another existing user/);
    const me = await call(`${platform.url}/v1/me`, { key: o.adminKey });
    expect(
      (
        await call(`${platform.url}/v1/api-keys`, {
          method: 'POST',
          key: o.adminKey,
          json: { userId: me.json.user.id },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await call(`${platform.url}/v1/api-keys`, {
          method: 'POST',
          key: o.adminKey,
          json: { role: 'approver', name: 'new approver' },
        })
      ).status,
    ).toBe(201);
  });
});
