// Tool schemas and the catalog on the real path: a stdio MCP server (test/fixtures/mcp-stdio-schemas-server.ts)
// serving raw JSON Schemas, registered and bound over the API, its catalog stored by the lifecycle workflow.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../core/paths.js';
import { expectEnvelope } from '../helpers/envelope.js';
import { startPlatform } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';

const FIXTURE = path.join(PROJECT_ROOT, 'test', 'fixtures', 'mcp-stdio-schemas-server.ts');
// By URL: the server's cwd is its own work dir, where a bare `--import tsx` would not resolve.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const FILLERS = 210;

let platform: Awaited<ReturnType<typeof startPlatform>>;
let org: Awaited<ReturnType<typeof createOrg>>;
let serverId: string;
beforeAll(async () => {
  platform = await startPlatform({ mcpHealthIntervalMs: 60_000 });
  org = await createOrg(platform.db, 'tool-schemas');
  const server = { name: 'schemas', transport: 'stdio', command: process.execPath, args: ['--import', TSX, FIXTURE, '--fillers', String(FILLERS)] };
  const created = await call(`${platform.url}/v1/mcp-servers?wait=30`, { method: 'POST', key: org.adminKey, json: server });
  expect(created.json?.status, created.text).toBe('healthy');
  serverId = created.json.id;
}, 120_000);
afterAll(() => platform?.stop());

describe('labelling a tool of a large catalog', () => {
  it('labels a tool past the 200th of its server', async () => {
    const last = `filler-${String(FILLERS - 1).padStart(4, '0')}`;
    const r = await call(`${platform.url}/v1/mcp-servers/${serverId}/tools/${last}`, { method: 'PATCH', key: org.adminKey, json: { tags: ['late'] } });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ name: last, tags: expect.arrayContaining(['late']), server: { id: serverId } });
    const redos = await call(`${platform.url}/v1/mcp-servers/${serverId}/tools/redos`, { method: 'PATCH', key: org.adminKey, json: { category: 'text' } });
    expect(redos.json).toMatchObject({ name: 'redos', category: 'text', categorySource: 'configured' });
    expectEnvelope(await call(`${platform.url}/v1/mcp-servers/${serverId}/tools/nope`, { method: 'PATCH', key: org.adminKey, json: { tags: ['x'] } }), 404, 'not_found');
  });
});
