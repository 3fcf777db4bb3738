// Tool schemas and the catalog on the real path: a stdio MCP server (test/fixtures/mcp-stdio-schemas-server.mts)
// serving raw JSON Schemas, registered and bound over the API, its catalog stored by the lifecycle workflow.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../core/paths.js';
import { expectEnvelope } from '../helpers/envelope.js';
import { startPlatform, userWithRole } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';
import { sleep, waitFor } from '../helpers/wait.js';

const FIXTURE = path.join(PROJECT_ROOT, 'test', 'fixtures', 'mcp-stdio-schemas-server.mts');
// By URL: the server's cwd is its own work dir, where a bare `--import tsx` would not resolve.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const FILLERS = 210;

let platform: Awaited<ReturnType<typeof startPlatform>>;
let org: Awaited<ReturnType<typeof createOrg>>;
let serverId: string;
beforeAll(async () => {
  platform = await startPlatform({ mcpHealthIntervalMs: 60_000 });
  org = await createOrg(platform.db, 'tool-schemas');
  const server = {
    name: 'schemas',
    transport: 'stdio',
    command: process.execPath,
    args: ['--import', TSX, FIXTURE, '--fillers', String(FILLERS)],
  };
  const created = await call(`${platform.url}/v1/mcp-servers?wait=30`, {
    method: 'POST',
    key: org.adminKey,
    json: server,
  });
  expect(created.json?.status, created.text).toBe('healthy');
  serverId = created.json.id;
}, 120_000);
afterAll(() => platform?.stop());

const createAgent = (name: string, tool: string) =>
  call(`${platform.url}/v1/agents`, {
    method: 'POST',
    key: org.adminKey,
    json: { name, capabilities: [{ name: 'cap', server: 'schemas', tool, risk: 'low' }] },
  });

/** Polls /healthz every 10 ms until stopped; `stop` answers the slowest round trip. */
function watchHealth() {
  let slowest = 0;
  let polls = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const r = await fetch(`${platform.url}/healthz`);
      await r.text();
      slowest = Math.max(slowest, performance.now() - started);
      polls++;
      await sleep(10); // the probe's pace, not a wait for anything
    }
  })();
  return {
    polls: () => polls,
    async stop() {
      running = false;
      await loop;
      return slowest;
    },
  };
}

describe('schema patterns run on RE2', () => {
  it('answers ^(a+)+$ against 30 a\'s and a "!" at once, and /healthz stays fast meanwhile', async () => {
    const agent = await createAgent('redos', 'redos');
    expect(agent.status, agent.text).toBe(201);
    const viewer = await userWithRole(platform.db, org.org.id, 'viewer');
    const health = watchHealth();
    await waitFor(health.polls, (n) => n > 0, { what: 'the /healthz watcher to be polling', timeoutMs: 5000 });
    const started = performance.now();
    const r = await call(`${platform.url}/v1/agents/${agent.json.id}/invoke`, {
      method: 'POST',
      key: viewer.key,
      json: { capability: 'cap', input: { s: `${'a'.repeat(30)}!` } },
    });
    const elapsed = performance.now() - started;
    const long = await call(`${platform.url}/v1/agents/${agent.json.id}/invoke`, {
      method: 'POST',
      key: viewer.key,
      json: { capability: 'cap', input: { s: `${'a'.repeat(50_000)}!` } },
    });
    const slowest = await health.stop();
    expectEnvelope(r, 400, 'invalid_input');
    expect(r.json.error.details.errors[0]).toMatchObject({ path: '/s', keyword: 'pattern' });
    expectEnvelope(long, 400, 'invalid_input');
    expect(elapsed).toBeLessThan(1000);
    expect(slowest).toBeLessThan(100);
  });

  it('still accepts input the pattern matches', async () => {
    const agent = await createAgent('redos-ok', 'redos');
    const r = await call(`${platform.url}/v1/agents/${agent.json.id}/invoke?wait=20`, {
      method: 'POST',
      key: org.adminKey,
      json: { capability: 'cap', input: { s: 'aaaa' } },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ status: 'succeeded', result: { structuredContent: { s: 'aaaa' } } });
  });

  it.each([
    ['backref', 'a backreference'],
    ['lookahead', 'a lookahead in patternProperties'],
  ])('refuses to bind %s (%s), naming the tool and its server', async (tool) => {
    const r = await createAgent(`bad-${tool}`, tool);
    expectEnvelope(r, 400, 'invalid_tool_schema');
    expect(r.json.error.message).toContain(`Tool "${tool}" of MCP server "schemas"`);
    expect(r.json.error.message).toMatch(/RE2/);
    expect(r.json.error.details).toMatchObject({ tool, server: 'schemas' });
    const listed = await call(`${platform.url}/v1/agents`, { key: org.adminKey });
    expect(listed.json.data.map((a: { name: string }) => a.name)).not.toContain(`bad-${tool}`);
  });
});

describe('labelling a tool of a large catalog', () => {
  it('labels a tool past the 200th of its server', async () => {
    const last = `filler-${String(FILLERS - 1).padStart(4, '0')}`;
    const r = await call(`${platform.url}/v1/mcp-servers/${serverId}/tools/${last}`, {
      method: 'PATCH',
      key: org.adminKey,
      json: { tags: ['late'] },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ name: last, tags: expect.arrayContaining(['late']), server: { id: serverId } });
    const redos = await call(`${platform.url}/v1/mcp-servers/${serverId}/tools/redos`, {
      method: 'PATCH',
      key: org.adminKey,
      json: { category: 'text' },
    });
    expect(redos.json).toMatchObject({ name: 'redos', category: 'text', categorySource: 'configured' });
    expectEnvelope(
      await call(`${platform.url}/v1/mcp-servers/${serverId}/tools/nope`, {
        method: 'PATCH',
        key: org.adminKey,
        json: { tags: ['x'] },
      }),
      404,
      'not_found',
    );
  });
});
