// The emulator's Atlassian behaviours on the real path: the emulator process over HTTP on the shipped Jira and
// Confluence descriptions, each sandbox on its own database. What an agent's tools rely on in emulated mode:
// issues found by JQL, keys per project, workflow transitions, pages found by CQL, versioned updates, and
// errors in the vendor's own shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JIRA_OPENAPI } from '../../core/integrations/jira/jira.spec.js';
import { CONFLUENCE_OPENAPI } from '../../core/integrations/confluence/confluence.spec.js';
import { emulatorsOnFiles } from '../helpers/emulator.js';
import { call } from '../helpers/stack.js';

const emulators = emulatorsOnFiles();
const sandbox = (specPath: string) => emulators.start(specPath);
afterAll(() => emulators.stopAll());

const post = (json: unknown) => ({ method: 'POST', json });
const put = (json: unknown) => ({ method: 'PUT', json });
const adf = (text: string) => ({
  type: 'doc',
  version: 1,
  content: [{ type: 'paragraph', content: [{ type: 'text', text }] }],
});

describe('Jira in the emulator', () => {
  let url: string;
  const search = async (jql: string, extra: Record<string, unknown> = {}) =>
    call(`${url}/rest/api/3/search`, post({ jql, ...extra }));
  const keys = async (jql: string) => {
    const res = await search(jql);
    expect(res.status, res.text).toBe(200);
    return res.json.issues.map((i: { key: string }) => i.key);
  };
  const create = async (project: string, summary: string, more: Record<string, unknown> = {}) => {
    const res = await call(
      `${url}/rest/api/3/issue`,
      post({ fields: { project: { key: project }, issuetype: { name: 'Task' }, summary, ...more } }),
    );
    expect(res.status, res.text).toBe(201);
    return res.json as { id: string; key: string; self: string };
  };
  beforeAll(async () => {
    url = await sandbox(JIRA_OPENAPI);
  });

  it('numbers issues per project and reads one back by key or by id', async () => {
    const first = await create('DEMO', 'Login page rejects valid passwords', {
      description: adf('Steps: open the login page'),
      labels: ['auth'],
    });
    const second = await create('DEMO', 'Crash on save');
    const other = await create('OPS', 'Rotate the certificates');
    expect([first.key, second.key, other.key]).toEqual(['DEMO-1', 'DEMO-2', 'OPS-1']);
    expect(Number(second.id)).toBe(Number(first.id) + 1);
    expect(first.self).toMatch(new RegExp(`/rest/api/3/issue/${first.id}$`));
    const byKey = await call(`${url}/rest/api/3/issue/DEMO-1`);
    expect(byKey.status, byKey.text).toBe(200);
    expect(byKey.json).toMatchObject({
      id: first.id,
      key: 'DEMO-1',
      fields: {
        summary: 'Login page rejects valid passwords',
        labels: ['auth'],
        project: { key: 'DEMO' },
        issuetype: { name: 'Task' },
        status: { name: 'To Do', statusCategory: { key: 'new' } },
        assignee: null,
      },
    });
    const byId = await call(`${url}/rest/api/3/issue/${first.id}`);
    expect(byId.json).toEqual(byKey.json);
  });

  it('finds issues by JQL: project, AND, = and !=, ~ on the summary, ORDER BY created DESC', async () => {
    expect(await keys('project = DEMO')).toEqual(['DEMO-1', 'DEMO-2']);
    expect(await keys('project = DEMO ORDER BY created DESC')).toEqual(['DEMO-2', 'DEMO-1']);
    expect(await keys('project = demo AND summary ~ "login"')).toEqual(['DEMO-1']);
    expect(await keys('project != DEMO')).toEqual(['OPS-1']);
    expect(await keys('text ~ "steps"')).toEqual(['DEMO-1']);
    expect(await keys('labels = auth OR project = OPS ORDER BY key ASC')).toEqual(['DEMO-1', 'OPS-1']);
    expect(await keys('project IN (DEMO, OPS) AND NOT (summary ~ crash) ORDER BY key DESC')).toEqual([
      'OPS-1',
      'DEMO-1',
    ]);
    expect(await keys('assignee IS EMPTY AND project = OPS')).toEqual(['OPS-1']);
    const page = await search('ORDER BY key ASC', { startAt: 1, maxResults: 1, fields: ['summary'] });
    expect(page.json).toMatchObject({ startAt: 1, maxResults: 1, total: 3 });
    expect(page.json.issues).toHaveLength(1);
    expect(Object.keys(page.json.issues[0].fields)).toEqual(['summary']);
  });

  it('answers JQL it does not support with a 400 in Jira’s error shape', async () => {
    for (const [jql, said] of [
      ['project = DEMO AND', /expecting a field name/],
      ['created > -1d', /operator '>' is not supported/],
      ['assignee = currentUser()', /function 'currentUser' is not supported/],
      ['summary = "Crash on save"', /operator '=' is not supported by the 'summary' field/],
      ['sprint = 4', /Field 'sprint' does not exist/],
      ['project = "DEMO', /not closed/],
      ['('.repeat(50) + 'project = DEMO' + ')'.repeat(50), /nests deeper/],
    ] as const) {
      const res = await search(jql);
      expect(res.status, jql).toBe(400);
      expect(res.json, jql).toEqual({ errorMessages: [expect.stringMatching(said)], errors: {} });
    }
    const long = await search(`summary ~ "${'x'.repeat(5000)}"`);
    expect(long.status).toBe(400);
  });

  it('edits fields and labels, assigns, comments, and moves the issue through its workflow', async () => {
    const edited = await call(
      `${url}/rest/api/3/issue/DEMO-2`,
      put({ fields: { summary: 'Crash on save in the editor' }, update: { labels: [{ add: 'bug' }, { add: 'ui' }] } }),
    );
    expect(edited.status, edited.text).toBe(204);
    const assigned = await call(
      `${url}/rest/api/3/issue/DEMO-2/assignee`,
      put({ accountId: '5b10ac8d82e05b22cc7d4ef5' }),
    );
    expect(assigned.status, assigned.text).toBe(204);
    const comment = await call(`${url}/rest/api/3/issue/DEMO-2/comment`, post({ body: adf('Reproduced on 1.4') }));
    expect(comment.status, comment.text).toBe(201);
    expect(comment.json).toMatchObject({ id: expect.any(String), body: adf('Reproduced on 1.4') });

    const transitions = await call(`${url}/rest/api/3/issue/DEMO-2/transitions`);
    expect(transitions.json.transitions.map((t: { name: string }) => t.name)).toEqual(['In Progress', 'Done']);
    const moved = await call(`${url}/rest/api/3/issue/DEMO-2/transitions`, post({ transition: { id: '31' } }));
    expect(moved.status, moved.text).toBe(204);
    const after = await call(`${url}/rest/api/3/issue/DEMO-2`);
    expect(after.json.fields).toMatchObject({
      summary: 'Crash on save in the editor',
      labels: ['bug', 'ui'],
      assignee: { accountId: '5b10ac8d82e05b22cc7d4ef5' },
      status: { name: 'Done', statusCategory: { key: 'done' } },
      resolution: { name: 'Done' },
      comment: { total: 1, comments: [{ id: comment.json.id }] },
    });
    expect(await keys('status = Done')).toEqual(['DEMO-2']);
    expect(await keys('status != Done AND project = DEMO')).toEqual(['DEMO-1']);
    expect(await keys('assignee = 5b10ac8d82e05b22cc7d4ef5')).toEqual(['DEMO-2']);
    expect(await keys('comment ~ reproduced')).toEqual(['DEMO-2']);

    const unassigned = await call(`${url}/rest/api/3/issue/DEMO-2`, put({ fields: { assignee: null } }));
    expect(unassigned.status).toBe(204);
    expect((await call(`${url}/rest/api/3/issue/DEMO-2`)).json.fields.assignee).toBeNull();
  });

  it('refuses what Jira refuses, in its shape', async () => {
    const missing = await call(`${url}/rest/api/3/issue/DEMO-99`);
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ errorMessages: [expect.any(String)], errors: {} });
    const noSummary = await call(`${url}/rest/api/3/issue`, post({ fields: { project: { key: 'DEMO' } } }));
    expect(noSummary.status).toBe(400);
    expect(noSummary.json).toEqual({
      errorMessages: [],
      errors: { summary: 'You must specify a summary of the issue.', issuetype: 'Specify an issue type' },
    });
    const badTransition = await call(`${url}/rest/api/3/issue/DEMO-1/transitions`, post({ transition: { id: '99' } }));
    expect(badTransition.status).toBe(400);
    expect(badTransition.json.errorMessages).toEqual(["Transition id '99' is not valid for this issue."]);
    const status = await call(`${url}/rest/api/3/issue/DEMO-1`, put({ fields: { status: { name: 'Done' } } }));
    expect(status.status).toBe(400);
    expect(status.json.errors).toHaveProperty('status');
  });
});

describe('Confluence in the emulator', () => {
  let url: string;
  const cql = async (query: string, limit?: number, cursor?: string) => {
    const q = new URLSearchParams({
      cql: query,
      ...(limit ? { limit: String(limit) } : {}),
      ...(cursor ? { cursor } : {}),
    });
    return call(`${url}/wiki/rest/api/content/search?${q}`);
  };
  const titles = async (query: string) => {
    const res = await cql(query);
    expect(res.status, res.text).toBe(200);
    return res.json.results.map((r: { title: string }) => r.title);
  };
  const page = (title: string, space = 'DOCS', extra: Record<string, unknown> = {}) =>
    call(
      `${url}/wiki/rest/api/content`,
      post({
        type: 'page',
        title,
        space: { key: space },
        body: { storage: { value: `<p>${title}</p>`, representation: 'storage' } },
        ...extra,
      }),
    );
  beforeAll(async () => {
    url = await sandbox(CONFLUENCE_OPENAPI);
  });

  it('creates pages, finds them by CQL, and updates one with the next version', async () => {
    const home = await page('Documentation Home');
    expect(home.status, home.text).toBe(200);
    expect(home.json).toMatchObject({
      type: 'page',
      status: 'current',
      space: { key: 'DOCS' },
      version: { number: 1 },
    });
    const notes = await page('Release notes', 'DOCS', { ancestors: [{ id: home.json.id }] });
    expect(notes.json.ancestors).toEqual([expect.objectContaining({ id: home.json.id, title: 'Documentation Home' })]);
    await page('Runbook', 'OPS');

    expect(await titles('space = DOCS')).toEqual(['Documentation Home', 'Release notes']);
    expect(await titles('space = DOCS AND title ~ "release" AND type = page')).toEqual(['Release notes']);
    expect(await titles('type = page ORDER BY created DESC')).toEqual([
      'Runbook',
      'Release notes',
      'Documentation Home',
    ]);
    expect(await titles(`ancestor = ${home.json.id}`)).toEqual(['Release notes']);
    const first = await cql('type = page', 2);
    expect(first.json).toMatchObject({ start: 0, limit: 2, size: 2 });
    const next = new URL(first.json._links.next, 'http://x').searchParams.get('cursor')!;
    expect((await cql('type = page', 2, next)).json.results.map((r: { title: string }) => r.title)).toEqual([
      'Runbook',
    ]);

    const read = await call(`${url}/wiki/rest/api/content/${notes.json.id}?expand=body.storage,version`);
    expect(read.json).toMatchObject({ title: 'Release notes', body: { storage: { value: '<p>Release notes</p>' } } });
    const update = (number: number, title = 'Release notes 1.4') =>
      call(
        `${url}/wiki/rest/api/content/${notes.json.id}`,
        put({
          type: 'page',
          title,
          version: { number },
          body: { storage: { value: '<p>New</p>', representation: 'storage' } },
        }),
      );
    const stale = await update(1);
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({
      statusCode: 409,
      message: 'Version must be incremented on update. Current version is: 1',
    });
    const updated = await update(2);
    expect(updated.status, updated.text).toBe(200);
    expect(updated.json).toMatchObject({
      title: 'Release notes 1.4',
      version: { number: 2 },
      body: { storage: { value: '<p>New</p>' } },
    });
    expect((await call(`${url}/wiki/rest/api/content/${notes.json.id}`)).json.version.number).toBe(2);
    expect(await titles('title = "Release notes 1.4"')).toEqual(['Release notes 1.4']);
  });

  it('refuses what Confluence refuses, in its shape', async () => {
    const dup = await page('Runbook', 'OPS');
    expect(dup.status).toBe(400);
    expect(dup.json).toMatchObject({ statusCode: 400, message: expect.stringContaining('already exists') });
    const orphan = await page('Orphan', 'DOCS', { ancestors: [{ id: '1' }] });
    expect(orphan.status).toBe(404);
    const bad = await cql('space = DOCS AND');
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ statusCode: 400, message: expect.stringMatching(/expecting a field name/) });
    const missing = await call(`${url}/wiki/rest/api/content/424242`);
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ statusCode: 404 });
  });
});
