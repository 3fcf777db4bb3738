// mcpServerWorkflow on real servers: first probe and catalog, health status with history, respawn, refresh, stop.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../core/paths.js';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { startPlatform } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

const everythingBin = path.join(PROJECT_ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
let platform: Awaited<ReturnType<typeof startPlatform>>;
let fixture: HttpMcpServer;
beforeAll(async () => {
  fixture = await startHttpMcpServer({ version: 'v1' });
  platform = await startPlatform({ mcpHealthIntervalMs: 400 });
});
afterAll(async () => {
  await platform?.stop();
  await fixture?.stop();
});

describe('MCP server lifecycle', () => {
  it('probes a new server, stores its catalog, tracks outages in the status history and recovers', async () => {
    const { adminKey } = await createOrg(platform.db, 'lifecycle');
    const created = await call(`${platform.url}/v1/mcp-servers?wait=15`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'h', transport: 'http', url: fixture.url },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ status: 'healthy', toolsCount: 7 });
    const get = () => call(`${platform.url}/v1/mcp-servers/${created.json.id}`, { key: adminKey }).then((r) => r.json);
    expect((await get()).statusHistory.map((e: { status: string }) => e.status)).toEqual(['healthy']);
    const tools = await platform.db('mcp_tools').where({ server_id: created.json.id }).pluck('name');
    expect(tools.sort()).toEqual(['add', 'echo', 'fail', 'record', 'slow', 'slow_steps', 'whoami']);

    const port = fixture.port;
    await fixture.stop();
    const down = await waitFor(get, (s) => s.status === 'unhealthy', {
      what: 'the stopped server to turn unhealthy',
      timeoutMs: 20_000,
    });
    expect(down.statusReason).toBeTruthy();
    // The server comes back with a changed tool: healthy again, catalog refreshed.
    fixture = await startHttpMcpServer({ port, version: 'v2' });
    const up = await waitFor(get, (s) => s.status === 'healthy', {
      what: 'the restarted server to turn healthy again',
      timeoutMs: 20_000,
    });
    expect(up.statusHistory.map((e: { status: string }) => e.status).reverse()).toEqual([
      'healthy',
      'degraded',
      'unhealthy',
      'healthy',
    ]);
    const echo = await waitFor(
      () => platform.db('mcp_tools').where({ server_id: created.json.id, name: 'echo' }).first(),
      (row) => row?.definition?.description === 'Echoes the text back, now in v2',
      { what: 'the catalog to hold the v2 echo tool', timeoutMs: 20_000 },
    );
    expect(echo.definition_hash).toMatch(/^sha256:/);
  });

  it('respawns a stdio server that died, and DELETE stops its lifecycle and process', async () => {
    const { adminKey } = await createOrg(platform.db, 'stdio-lifecycle');
    const created = await call(`${platform.url}/v1/mcp-servers?wait=20`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'everything', transport: 'stdio', command: process.execPath, args: [everythingBin, 'stdio'] },
    });
    expect(created.json.status).toBe('healthy');
    const firstPid = platform.workerPool.pidOf(created.json.id);
    expect(firstPid).toBeTypeOf('number');
    process.kill(firstPid!, 'SIGKILL');
    const secondPid = await waitFor(
      () => platform.workerPool.pidOf(created.json.id),
      (pid) => pid !== undefined && pid !== firstPid,
      { what: 'the killed server to be respawned', timeoutMs: 20_000 },
    );
    await waitFor(
      () => call(`${platform.url}/v1/mcp-servers/${created.json.id}`, { key: adminKey }).then((r) => r.json),
      (s) => s.status === 'healthy',
      { what: 'the respawned server to turn healthy', timeoutMs: 20_000 },
    );

    const handle = platform.client.workflow.getHandle(`mcp-server-${created.json.id}`);
    expect(
      (await call(`${platform.url}/v1/mcp-servers/${created.json.id}`, { method: 'DELETE', key: adminKey })).status,
    ).toBe(204);
    expect(await handle.result()).toMatchObject({ status: 'stopped' });
    await waitFor(
      () => platform.workerPool.pidOf(created.json.id),
      (pid) => pid === undefined,
      { what: 'the deleted server’s process to stop', timeoutMs: 20_000 },
    );
    expect(() => process.kill(secondPid!, 0)).toThrow();
    expect((await call(`${platform.url}/v1/mcp-servers/${created.json.id}`, { key: adminKey })).status).toBe(404);
  });
});
