// GET /v1/tools over catalogs the lifecycle workflow stored from real servers, with labels and call stats.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { startPlatform, userWithRole } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';

let platform: Awaited<ReturnType<typeof startPlatform>>;
let fixture: HttpMcpServer;
beforeAll(async () => {
  fixture = await startHttpMcpServer();
  platform = await startPlatform({ mcpHealthIntervalMs: 60_000 });
});
afterAll(async () => {
  await platform?.stop();
  await fixture?.stop();
});

describe('tool catalog', () => {
  it('searches names and descriptions, filters by category and tag, shows annotations and stats', async () => {
    const { org, adminKey } = await createOrg(platform.db, 'catalog');
    const server = await call(`${platform.url}/v1/mcp-servers?wait=15`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'tools', transport: 'http', url: fixture.url },
    });
    expect(server.json.status).toBe('healthy');
    const search = (qs: string, key = adminKey) =>
      call(`${platform.url}/v1/tools?${qs}`, { key }).then(
        (r) => r.json.data as { name: string; [k: string]: unknown }[],
      );

    expect((await search('query=ECHOES')).map((t) => t.name)).toEqual(['echo']); // description, any case
    expect((await search('query=add')).map((t) => t.name)).toEqual(['add']);
    const echo = (await search('query=echo'))[0]!;
    expect(echo).toMatchObject({
      server: { name: 'tools' },
      category: 'read',
      categorySource: 'inferred',
      annotations: { readOnlyHint: true, destructiveHint: null },
    });
    expect((await search('category=read')).map((t) => t.name)).toEqual(['echo']);
    expect((await search('tag=idempotent')).map((t) => t.name)).toEqual(['add']);
    expect((await search('server=tools')).map((t) => t.name).sort()).toEqual([
      'add',
      'echo',
      'fail',
      'record',
      'slow',
      'slow_steps',
      'whoami',
    ]);
    expect(await search('server=elsewhere')).toEqual([]);

    // Labels set by people win over the inferred ones.
    const labelled = await call(`${platform.url}/v1/mcp-servers/${server.json.id}/tools/record`, {
      method: 'PATCH',
      key: adminKey,
      json: { category: 'notes', tags: ['journal'] },
    });
    expect(labelled.json).toMatchObject({ category: 'notes', categorySource: 'configured' });
    expect((await search('tag=journal')).map((t) => t.name)).toEqual(['record']);
    expect(
      (
        await call(`${platform.url}/v1/mcp-servers/${server.json.id}/tools/record`, {
          method: 'PATCH',
          key: adminKey,
          json: { category: 'Bad Label' },
        })
      ).status,
    ).toBe(400);

    // Stats come from real invocations of capabilities bound to the tool.
    const agent = await call(`${platform.url}/v1/agents`, {
      method: 'POST',
      key: adminKey,
      json: {
        name: 'stats',
        capabilities: [
          { name: 'sum', server: 'tools', tool: 'add' },
          { name: 'boom', server: 'tools', tool: 'fail' },
        ],
      },
    });
    const developer = await userWithRole(platform.db, org.id, 'developer');
    for (const [capability, input] of [
      ['sum', { a: 1, b: 2 }],
      ['sum', { a: 2, b: 2 }],
      ['boom', { message: 'x' }],
    ] as const) {
      await call(`${platform.url}/v1/agents/${agent.json.id}/invoke?wait=20`, {
        method: 'POST',
        key: developer.key,
        json: { capability, input },
      });
    }
    const add = (await search('query=add'))[0]!;
    expect(add.stats).toMatchObject({ calls: 2, errors: 0 });
    expect((add.stats as { p50LatencyMs: number }).p50LatencyMs).toBeGreaterThan(0);
    expect(((await search('query=returns a tool error'))[0]!.stats as { errors: number }).errors).toBe(1);

    // Other orgs see none of it.
    const other = await createOrg(platform.db, 'other');
    expect(await search('query=echo', other.adminKey)).toEqual([]);
    expect((await call(`${platform.url}/v1/tools?limit=0`, { key: adminKey })).status).toBe(400);
  });
});
