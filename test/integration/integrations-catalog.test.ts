// The integration catalog over the API, and what registering and sandboxing an integration refuses before
// anything runs (no worker: every answer here comes from the API alone).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform, userWithRole } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';

let platform: Awaited<ReturnType<typeof startPlatform>>;
let org: Awaited<ReturnType<typeof createOrg>>;
let developer: string;

beforeAll(async () => {
  platform = await startPlatform({ worker: 'none' });
  org = await createOrg(platform.db, 'integrations-catalog');
  developer = (await userWithRole(platform.db, org.org.id, 'developer')).key;
}, 60_000);
afterAll(() => platform?.stop());

const post = (path: string, json: unknown, key = org.adminKey) =>
  call(`${platform.url}${path}`, { method: 'POST', key, json });

describe('GET /v1/integrations', () => {
  it('lists the integrations with their tools, credential and sandbox modes', async () => {
    const res = await call(`${platform.url}/v1/integrations`, { key: developer });
    expect(res.status).toBe(200);
    const counts = Object.fromEntries(
      res.json.data.map((i: { name: string; toolCount: number }) => [i.name, i.toolCount]),
    );
    expect(counts).toEqual({ jira: 9, confluence: 5, slack: 7, github: 10, aws: 8, gcp: 8, postgres: 4 });
    for (const integration of res.json.data) {
      expect(integration.credentials.format, integration.name).not.toBe('');
      expect(integration.sandbox.modes.length, integration.name).toBeGreaterThan(0);
      for (const tool of integration.tools) {
        expect(tool.inputSchema.type, `${integration.name}.${tool.name}`).toBe('object');
        expect(tool.annotations.openWorldHint, `${integration.name}.${tool.name}`).toBe(true);
        expect(tool.description.length, `${integration.name}.${tool.name}`).toBeGreaterThan(20);
      }
    }
    const jira = res.json.data.find((i: { name: string }) => i.name === 'jira');
    const annotations = Object.fromEntries(
      jira.tools.map((t: { name: string; annotations: object }) => [t.name, t.annotations]),
    );
    expect(annotations.search_issues).toMatchObject({ readOnlyHint: true });
    expect(annotations.create_issue.readOnlyHint).not.toBe(true);
    const aws = res.json.data.find((i: { name: string }) => i.name === 'aws');
    expect(aws.tools.find((t: { name: string }) => t.name === 'stop_instances').annotations.destructiveHint).toBe(true);
    expect(aws.sandbox.modes).toEqual(['emulated']);
  });

  it('shows one integration, and 404 for a name it does not have', async () => {
    expect((await call(`${platform.url}/v1/integrations/slack`, { key: developer })).json.toolCount).toBe(7);
    const missing = await call(`${platform.url}/v1/integrations/nope`, { key: developer });
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('not_found');
  });
});

describe('registering an integration server', () => {
  it('refuses a tool the integration does not have, naming the ones it has', async () => {
    const res = await post('/v1/mcp-servers', { name: 'j1', template: 'jira', config: { tools: ['drop_project'] } });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('validation_error');
    expect(JSON.stringify(res.json.error.details)).toContain('create_issue');
  });

  it('refuses a credential that is not a secret reference, and a developer binding one', async () => {
    const raw = await post('/v1/mcp-servers', { name: 'j2', template: 'jira', config: { credentials: 'abc' } });
    expect(raw.status).toBe(400);
    await post('/v1/secrets', { name: 'JIRA_CRED', value: '{"email":"a@b.c","apiToken":"t0k3n-value"}' });
    const bound = await post(
      '/v1/mcp-servers',
      { name: 'j3', template: 'jira', config: { credentials: 'secret:JIRA_CRED' } },
      developer,
    );
    expect(bound.status).toBe(403);
    const unknown = await post('/v1/mcp-servers', {
      name: 'j4',
      template: 'jira',
      config: { credentials: 'secret:NO_SUCH' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.code).toBe('unknown_secret');
  });

  it('refuses an openapi server on an integration’s target, pointing at the integration', async () => {
    const res = await post('/v1/mcp-servers', { name: 'o1', template: 'openapi', config: { target: 'jira' } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.json.error.details)).toContain('use template jira');
  });

  it('stores the credential as a reference only, never its value', async () => {
    await post('/v1/secrets', { name: 'SLACK_BOT', value: 'xoxb-never-shown-123' });
    const res = await post('/v1/mcp-servers', {
      name: 'slack-live',
      template: 'slack',
      config: { credentials: 'secret:SLACK_BOT' },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.text).not.toContain('xoxb-never-shown-123');
    const row = await platform.db('mcp_servers').where({ id: res.json.id }).first();
    expect(row.env.COLLEXA_CREDENTIALS).toBe('secret:SLACK_BOT');
    expect(JSON.stringify(row)).not.toContain('xoxb-never-shown-123');
  });
});

describe('sandboxes of an integration’s target', () => {
  let agentId: string;
  beforeAll(async () => {
    const agent = await platform.db('agents').insert({ org_id: org.org.id, name: 'bare' }).returning('id');
    agentId = agent[0].id;
  });

  it('refuses a mode the integration does not offer, and a connected one', async () => {
    const mock = await post(`/v1/agents/${agentId}/sandboxes`, { target: 'aws', mode: 'mock' }, developer);
    expect(mock.status).toBe(400);
    expect(mock.json.error).toMatchObject({ code: 'sandbox_mode_unsupported', details: { modes: ['emulated'] } });
    const connected = await post(`/v1/agents/${agentId}/sandboxes`, { target: 'jira', mode: 'connected' }, developer);
    expect(connected.status).toBe(400);
    expect(connected.json.error.code).toBe('connect_through_integration');
  });
});
