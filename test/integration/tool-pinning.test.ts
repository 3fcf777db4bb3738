// Pinning: a capability is bound to the tool definition it was created with; a changed definition blocks calls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { startPlatform, userWithRole } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';

let platform: Awaited<ReturnType<typeof startPlatform>>;
let server: HttpMcpServer;
beforeAll(async () => {
  server = await startHttpMcpServer({ version: 'v1' });
  platform = await startPlatform();
});
afterAll(async () => {
  await platform?.stop();
  await server?.stop();
});

describe('tool pinning', () => {
  it('blocks a capability whose tool definition changed until an admin re-pins it', async () => {
    const { org, adminKey } = await createOrg(platform.db, 'pins');
    const developer = await userWithRole(platform.db, org.id, 'developer');
    await call(`${platform.url}/v1/mcp-servers`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'h', transport: 'http', url: server.url },
    });
    const agent = await call(`${platform.url}/v1/agents`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'pinned', capabilities: [{ name: 'say', server: 'h', tool: 'echo' }] },
    });
    const pinnedHash = agent.json.capabilities[0].pinnedHash;
    expect(pinnedHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    const invoke = () =>
      call(`${platform.url}/v1/agents/${agent.json.id}/invoke?wait=20`, {
        method: 'POST',
        key: developer.key,
        json: { capability: 'say', input: { text: 'hi' } },
      });
    expect((await invoke()).json.status).toBe('succeeded');

    // The server comes back serving a different description of the same tool.
    const port = server.port;
    await server.stop();
    server = await startHttpMcpServer({ port, version: 'v2' });
    const blocked = await invoke();
    expect(blocked.json.status).toBe('failed');
    expect(blocked.json.error).toMatchObject({
      code: 'tool_definition_changed',
      details: { pinned: pinnedHash, repin: `/v1/agents/${agent.json.id}/capabilities/say/repin` },
    });
    expect((await server.calls()).filter((c) => c.tool === 'echo')).toEqual([]);
    const audit = await call(`${platform.url}/v1/audit?invocationId=${blocked.json.invocationId}`, { key: adminKey });
    expect(audit.json.data.map((e: { action: string }) => e.action)).toContain('tool.pin_violation');

    // Only an admin may accept the new definition; then calls flow again.
    expect(
      (
        await call(`${platform.url}/v1/agents/${agent.json.id}/capabilities/say/repin`, {
          method: 'POST',
          key: developer.key,
        })
      ).status,
    ).toBe(403);
    const repinned = await call(`${platform.url}/v1/agents/${agent.json.id}/capabilities/say/repin`, {
      method: 'POST',
      key: adminKey,
    });
    expect(repinned.status, repinned.text).toBe(200);
    expect(repinned.json).toMatchObject({
      previousHash: pinnedHash,
      definition: { description: 'Echoes the text back, now in v2' },
    });
    expect(repinned.json.pinnedHash).not.toBe(pinnedHash);
    expect((await invoke()).json.status).toBe('succeeded');
    expect(
      (
        await call(`${platform.url}/v1/agents/${agent.json.id}/capabilities/nope/repin`, {
          method: 'POST',
          key: adminKey,
        })
      ).status,
    ).toBe(404);
  });
});
