// Smoke test with a third client: the MCP Inspector 2.12 CLI lists and calls an agent's tools in both
// protocol eras, with the API key as a static header (no OAuth, nothing fetched: it runs offline).
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { createServerAndAgent, startPlatform, userWithRole } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const INSPECTOR = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@modelcontextprotocol/inspector/package.json')),
  'clients/launcher/build/index.js',
);

let platform: Awaited<ReturnType<typeof startPlatform>>;
let mcpHttp: HttpMcpServer;
let home: string;
let endpoint: string;
let key: string;
let approverKey: string;
let agent: string;

beforeAll(async () => {
  mcpHttp = await startHttpMcpServer();
  platform = await startPlatform();
  const org = await createOrg(platform.db, 'mcp-inspector');
  const { agentId } = await createServerAndAgent(
    platform.url,
    org.adminKey,
    { name: 'testhttp', transport: 'http', url: mcpHttp.url },
    {
      name: 'inspected',
      capabilities: [
        { name: 'sum', tool: 'add', risk: 'low' },
        { name: 'guarded_sum', tool: 'add', risk: 'high' },
      ],
    },
  );
  agent = agentId;
  endpoint = `${platform.url}/mcp/${agentId}`;
  key = (await userWithRole(platform.db, org.org.id, 'developer')).key;
  approverKey = (await userWithRole(platform.db, org.org.id, 'approver')).key;
  // The CLI keeps a catalog and client state under HOME: a throw-away one.
  home = await mkdtemp(path.join(os.tmpdir(), 'collexa-inspector-'));
}, 120_000);
afterAll(async () => {
  await platform?.stop();
  await mcpHttp?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

/** Runs the Inspector CLI on the agent's endpoint and answers its JSON output. */
async function inspector(era: 'modern' | 'legacy', ...args: string[]) {
  return JSON.parse((await inspectorRun(era, ...args)).stdout);
}

function inspectorRun(era: 'modern' | 'legacy', ...args: string[]) {
  return run(
    process.execPath,
    [
      INSPECTOR,
      '--cli',
      endpoint,
      '--transport',
      'http',
      '--header',
      `Authorization: Bearer ${key}`,
      '--protocol-era',
      era,
      '--stored-auth-only',
      '--format',
      'json',
      ...args,
    ],
    { env: { ...process.env, HOME: home, MCP_CATALOG_PATH: path.join(home, 'mcp.json') }, timeout: 60_000 },
  );
}

describe('the MCP Inspector CLI', () => {
  for (const era of ['modern', 'legacy'] as const) {
    it(`lists and calls the agent’s tools in the ${era} era`, async () => {
      const listed = await inspector(era, '--method', 'tools/list');
      const names = listed.result.tools.map((t: { name: string }) => t.name);
      expect(names).toEqual(
        era === 'modern'
          ? ['collexa_invocation_status', 'guarded_sum', 'sum']
          : ['guarded_sum', 'sum', 'collexa_invocation_status'],
      );
      const called = await inspector(
        era,
        '--method',
        'tools/call',
        '--tool-name',
        'sum',
        '--tool-args-json',
        '{"a":2,"b":40}',
      );
      expect(called.result.structuredContent).toEqual({ sum: 42 });
      expect(called.result._meta).toMatchObject({ 'collexa/status': 'succeeded' });
    }, 60_000);
  }

  it('runs an approval-gated call as a task in the modern era: it completes once an approver approves over REST', async () => {
    const cli = inspector(
      'modern',
      '--method',
      'tools/call',
      '--tool-name',
      'guarded_sum',
      '--tool-args-json',
      '{"a":1,"b":2}',
    );
    cli.catch(() => undefined);
    const pending = await waitFor(
      () =>
        platform.db('invocations').where({ agent_id: agent, capability: 'guarded_sum', status: 'pending_approval' }),
      (rows) => rows.length === 1,
      { what: 'the CLI’s call to wait for its approval' },
    );
    const approved = await call(`${platform.url}/v1/approvals/${pending[0].approval_id}/approve`, {
      method: 'POST',
      key: approverKey,
      json: {},
    });
    expect(approved.status, approved.text).toBe(200);
    const done = await cli;
    expect(done.result.structuredContent).toEqual({ sum: 3 });
  }, 90_000);
});
