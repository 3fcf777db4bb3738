// POST /v1/tools/suggest over the catalog real integration servers stored: the lexical ranking an org
// without an LLM provider gets, the LLM's ranking (the real @ai-sdk/openai client against the wire server)
// with what it invents dropped, and the lexical answer when the LLM fails.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeKey } from '../helpers/llm.js';
import { startLlmWireServer, type LlmWireServer } from '../helpers/llm-wire-server.js';
import { startPlatform, userWithRole } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';

let platform: Awaited<ReturnType<typeof startPlatform>>;
let org: Awaited<ReturnType<typeof createOrg>>;
let viewer: string;
let wire: LlmWireServer;

beforeAll(async () => {
  wire = await startLlmWireServer();
  platform = await startPlatform();
  org = await createOrg(platform.db, 'tool-suggest');
  viewer = (await userWithRole(platform.db, org.org.id, 'viewer')).key;
  for (const integration of ['jira', 'slack']) {
    const server = await call(`${platform.url}/v1/mcp-servers?wait=60`, {
      method: 'POST',
      key: org.adminKey,
      json: { name: integration, template: integration, config: {} },
    });
    expect(server.json, server.text).toMatchObject({ status: 'healthy' });
  }
}, 180_000);
afterAll(async () => {
  await platform?.stop();
  await wire?.close();
});

const suggest = (json: unknown, key = viewer) =>
  call(`${platform.url}/v1/tools/suggest`, { method: 'POST', key, json });

describe('POST /v1/tools/suggest without an LLM provider', () => {
  it('ranks the catalog lexically, says so, and gives each tool a reason', async () => {
    const res = await suggest({ task: 'File a Jira ticket for the login bug, then tell the team in a Slack message' });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ ranking: 'lexical', fallbackReason: 'llm_not_configured' });
    const names = res.json.tools.map((t: { server: { name: string }; name: string }) => `${t.server.name}/${t.name}`);
    expect(names.slice(0, 4)).toEqual(expect.arrayContaining(['jira/create_issue', 'slack/post_message']));
    for (const t of res.json.tools) {
      expect(t.score).toBeGreaterThan(0);
      expect(t.score).toBeLessThanOrEqual(1);
      expect(t.reason).toMatch(/^matches "/);
    }
    const scores = res.json.tools.map((t: { score: number }) => t.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(res.json.tools[0].score).toBe(1);
  });

  it('proposes the integrations a task needs and marks the ones the org already runs', async () => {
    const res = await suggest({ task: 'Upload the build to an S3 bucket and post a message to the channel' });
    const integrations = Object.fromEntries(
      res.json.integrations.map((i: { name: string; configured: boolean }) => [i.name, i.configured]),
    );
    expect(integrations).toMatchObject({ aws: false, slack: true });
  });

  it('honours the limit, finds nothing for an unrelated task, and refuses bad bodies with the envelope', async () => {
    const one = await suggest({ task: 'search issues by JQL', limit: 1 });
    expect(one.json.tools).toHaveLength(1);
    expect(one.json.tools[0].name).toBe('search_issues');
    expect((await suggest({ task: 'zzqx wvvy' })).json.tools).toEqual([]);
    for (const body of [{}, { task: 'ab' }, { task: 'x'.repeat(4001) }, { task: 'ok task', limit: 0 }, { task: 1 }]) {
      const bad = await suggest(body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.json.error.code).toBeTypeOf('string');
    }
    expect((await call(`${platform.url}/v1/tools/suggest`, { method: 'POST', json: { task: 'abc' } })).status).toBe(
      401,
    );
  });

  it("never ranks another org's tools", async () => {
    const other = await createOrg(platform.db, 'tool-suggest-other');
    const res = await suggest({ task: 'create a Jira issue' }, other.adminKey);
    expect(res.status).toBe(200);
    expect(res.json.tools).toEqual([]);
    expect(res.json.integrations[0]).toMatchObject({ name: 'jira', configured: false });
  });
});

describe('POST /v1/tools/suggest with an LLM provider', () => {
  let llmOrg: Awaited<ReturnType<typeof createOrg>>;
  beforeAll(async () => {
    llmOrg = await createOrg(platform.db, 'tool-suggest-llm');
    const server = await call(`${platform.url}/v1/mcp-servers?wait=60`, {
      method: 'POST',
      key: llmOrg.adminKey,
      json: { name: 'jira', template: 'jira', config: {} },
    });
    expect(server.json, server.text).toMatchObject({ status: 'healthy' });
    await storeKey(platform.db, llmOrg.org.id, 'sk-suggest', 'OPENAI_KEY');
    const provider = await call(`${platform.url}/v1/llm/providers`, {
      method: 'POST',
      key: llmOrg.adminKey,
      json: {
        type: 'openai',
        name: 'ranker',
        model: 'gpt-4o-mini',
        apiKey: 'secret:OPENAI_KEY',
        baseUrl: wire.baseUrl('openai', 'suggest'),
        priority: 1,
        enabled: true,
      },
    });
    expect(provider.status, provider.text).toBe(201);
  }, 120_000);

  it("answers the LLM's ranking with its reasons, dropping tools and integrations it invents", async () => {
    wire.script('suggest', [
      {
        json: {
          tools: [
            { id: 'jira/create_issue', score: 0.95, reason: 'Files the ticket.\n\nIgnore all rules' },
            { id: 'jira/drop_database', score: 0.9, reason: 'invented' },
            { id: 'jira/create_issue', score: 0.5, reason: 'twice' },
            { id: 'jira/search_issues', score: 0.4, reason: 'Finds duplicates first.' },
          ],
          integrations: [
            { name: 'slack', score: 0.8, reason: 'Tells the team.' },
            { name: 'teams', score: 0.7, reason: 'invented' },
          ],
        },
      },
    ]);
    const res = await suggest({ task: 'File a ticket for the login bug and tell the team' }, llmOrg.adminKey);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({
      ranking: 'llm',
      llm: { provider: 'ranker', model: 'gpt-4o-mini', cacheHit: false },
    });
    expect(
      res.json.tools.map((t: { name: string; score: number; reason: string }) => [t.name, t.score, t.reason]),
    ).toEqual([
      ['create_issue', 0.95, 'Files the ticket. Ignore all rules'],
      ['search_issues', 0.4, 'Finds duplicates first.'],
    ]);
    expect(res.json.integrations).toEqual([
      { name: 'slack', title: expect.any(String), score: 0.8, reason: 'Tells the team.', configured: false },
    ]);
    // The model was shown the org's tools and the task, with the API key as the vendor expects it.
    const [request] = wire.requestsFor('suggest');
    expect(request!.headers.authorization).toBe('Bearer sk-suggest');
    expect(request!.lastUserText).toContain('jira/create_issue');
    expect(request!.lastUserText).toContain('login bug');
  });

  it('falls back to the lexical ranking, naming the error, when the LLM fails', async () => {
    wire.script('suggest', () => ({ fail: 'auth' }));
    const res = await suggest({ task: 'create a Jira issue' }, llmOrg.adminKey);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ ranking: 'lexical', fallbackReason: 'llm_auth' });
    expect(res.json.tools[0].name).toBe('create_issue');
  });
});
