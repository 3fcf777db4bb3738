// Jira's tools on the real path (agent → invocation workflow → the Jira integration server, sandboxed → a
// sandbox): every tool against the mock (Prism on Jira's own description: shapes) and the emulator (state:
// create, find by JQL, edit, transition, comment, assign), and a wrong credential against a local server
// answering as Jira does.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform } from '../helpers/platform.js';
import {
  connectedIntegration,
  integrationRig,
  toolErrorOf,
  type IntegrationRig,
  type Platform,
  expectKeptWithout,
} from '../helpers/integration-rig.js';
import { call } from '../helpers/stack.js';

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({ sandboxes: { idleMs: 600_000 } });
});
afterAll(async () => {
  await platform?.stop();
});

describe('Jira against the mock sandbox (Prism on Jira’s description)', () => {
  let rig: IntegrationRig;
  beforeAll(async () => {
    rig = await integrationRig({ integration: 'jira', mode: 'mock', platform });
  });

  it('is listed by GET /v1/integrations with its tools, credential and sandbox modes', async () => {
    const res = await call(`${platform.url}/v1/integrations/jira`, { key: rig.developerKey });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({
      name: 'jira',
      securityLevel: 'high',
      toolCount: 9,
      credentials: { format: expect.stringContaining('apiToken'), config: 'credentials: "secret:NAME"' },
      sandbox: { target: 'jira', modes: ['mock', 'emulated'] },
    });
    const tool = res.json.tools.find((t: { name: string }) => t.name === 'search_issues');
    expect(tool.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: true });
  });

  it('answers every tool in the shapes of Jira’s examples', async () => {
    expect(
      await rig.run('create_issue', { projectKey: 'ED', issueType: 'Bug', summary: 'Order entry fails' }),
    ).toMatchObject({
      key: 'ED-24',
      id: '10000',
      url: expect.stringMatching(/\/browse\/ED-24$/),
    });
    expect(await rig.run('get_issue', { issueKey: 'ED-1' })).toMatchObject({
      key: 'ED-1',
      id: '10002',
      project: 'EX',
      description: expect.any(String),
    });
    const found = await rig.run('search_issues', { jql: 'project = EX', maxResults: 10 });
    expect(found).toMatchObject({ total: 1, issues: [{ key: 'ED-1', id: '10002' }] });
    expect(await rig.run('update_issue', { issueKey: 'ED-1', summary: 'New summary', addLabels: ['triaged'] })).toEqual(
      {
        key: 'ED-1',
        updated: ['summary', 'labels'],
        url: expect.stringMatching(/\/browse\/ED-1$/),
      },
    );
    const transitions = await rig.run('list_transitions', { issueKey: 'ED-1' });
    expect(transitions.transitions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: '2', name: 'Close Issue', to: expect.objectContaining({ name: 'In Progress' }) }),
      ]),
    );
    expect(await rig.run('transition_issue', { issueKey: 'ED-1', transition: 'Close Issue' })).toMatchObject({
      transition: { id: '2' },
      status: 'In Progress',
    });
    expect(await rig.run('add_comment', { issueKey: 'ED-1', body: 'Looking into it.' })).toMatchObject({
      id: '10000',
      issueKey: 'ED-1',
    });
    expect(await rig.run('assign_issue', { issueKey: 'ED-1', accountId: '5b10ac8d82e05b22cc7d4ef5' })).toEqual({
      key: 'ED-1',
      assignee: '5b10ac8d82e05b22cc7d4ef5',
    });
    expect(await rig.run('assign_issue', { issueKey: 'ED-1', accountId: null })).toEqual({
      key: 'ED-1',
      assignee: null,
    });
    const projects = await rig.run('list_projects', { maxResults: 2 });
    expect(projects).toMatchObject({
      total: 7,
      isLast: false,
      projects: [{ key: 'EX', name: 'Example' }, { key: 'ABC' }],
    });
  });
});

describe('Jira against the emulated sandbox', () => {
  let rig: IntegrationRig;
  beforeAll(async () => {
    rig = await integrationRig({ integration: 'jira', mode: 'emulated', platform });
  });

  it('creates issues, finds them by JQL, reads, edits, transitions, comments on and assigns them', async () => {
    const login = await rig.run('create_issue', {
      projectKey: 'DEMO',
      issueType: 'Bug',
      summary: 'Login page rejects valid passwords',
      description: 'Steps:\nopen the login page\n\nExpected: signed in',
      labels: ['auth'],
    });
    expect(login).toMatchObject({ key: 'DEMO-1', id: expect.any(String) });
    expect(
      await rig.run('create_issue', { projectKey: 'demo', issueType: 'Task', summary: 'Crash on save' }),
    ).toMatchObject({
      key: 'DEMO-2',
    });
    const keys = async (jql: string) =>
      ((await rig.run('search_issues', { jql })).issues as Array<{ key: string }>).map((i) => i.key);
    expect(await keys('project = DEMO ORDER BY created DESC')).toEqual(['DEMO-2', 'DEMO-1']);
    expect(await keys('project = DEMO AND summary ~ "login"')).toEqual(['DEMO-1']);
    expect(await keys('project = DEMO AND issuetype != Bug')).toEqual(['DEMO-2']);

    expect(await rig.run('get_issue', { issueKey: 'DEMO-1' })).toMatchObject({
      key: 'DEMO-1',
      summary: 'Login page rejects valid passwords',
      status: 'To Do',
      statusCategory: 'new',
      issueType: 'Bug',
      project: 'DEMO',
      labels: ['auth'],
      assignee: null,
      description: 'Steps:\nopen the login page\n\nExpected: signed in',
      comments: 0,
    });

    await rig.run('update_issue', { issueKey: 'DEMO-1', summary: 'Login rejects valid passwords', addLabels: ['p1'] });
    const names = (
      (await rig.run('list_transitions', { issueKey: 'DEMO-1' })).transitions as Array<{ name: string }>
    ).map((t) => t.name);
    expect(names).toEqual(['In Progress', 'Done']);
    expect(await rig.run('transition_issue', { issueKey: 'DEMO-1', transition: 'in progress' })).toMatchObject({
      status: 'In Progress',
    });
    const comment = await rig.run('add_comment', { issueKey: 'DEMO-1', body: 'Reproduced on 1.4' });
    expect(comment).toMatchObject({ id: expect.any(String), issueKey: 'DEMO-1' });
    await rig.run('assign_issue', { issueKey: 'DEMO-1', accountId: '5b10ac8d82e05b22cc7d4ef5' });
    expect(await rig.run('get_issue', { issueKey: 'DEMO-1' })).toMatchObject({
      summary: 'Login rejects valid passwords',
      labels: ['auth', 'p1'],
      status: 'In Progress',
      statusCategory: 'indeterminate',
      assignee: { accountId: '5b10ac8d82e05b22cc7d4ef5' },
      comments: 1,
    });
    expect(await keys('status = "In Progress"')).toEqual(['DEMO-1']);
    await rig.run('assign_issue', { issueKey: 'DEMO-1', accountId: null });
    expect((await rig.run('get_issue', { issueKey: 'DEMO-1' })).assignee).toBeNull();
    expect(await rig.run('list_projects', {})).toMatchObject({ projects: expect.any(Array) });
  });

  it('answers JQL it cannot run, an unknown transition and an unknown issue as Jira’s errors', async () => {
    const jql = toolErrorOf(await rig.invoke('search_issues', { jql: 'project = DEMO AND created > -1d' }));
    expect(jql).toMatchObject({ status: 400, code: 'bad_request' });
    expect(jql.message).toMatch(/^Jira refused the request \(400\): .*operator '>' is not supported/);
    const transition = toolErrorOf(await rig.invoke('transition_issue', { issueKey: 'DEMO-2', transition: 'Reopen' }));
    expect(transition.message).toMatch(/no transition "Reopen" now; available: In Progress \(21\), Done \(31\)/);
    const missing = toolErrorOf(await rig.invoke('get_issue', { issueKey: 'DEMO-99' }));
    expect(missing).toMatchObject({ status: 404, code: 'not_found' });
    expect(missing.message).toMatch(/Issue does not exist/);
  });
});

describe('Jira with a wrong credential', () => {
  let jira: Server;
  const seen: string[] = [];
  const token = 'ATATT3xFfGF0-wrong-token-7f3a9c1e';
  beforeAll(async () => {
    // Jira Cloud's answer to a bad API token: 401, an ErrorCollection (as the description declares for 401).
    jira = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization?.split(' ')[0]}`);
      res.writeHead(401, {
        'content-type': 'application/json;charset=UTF-8',
        'www-authenticate': 'Basic realm="protected-area"',
        'x-seraph-loginreason': 'AUTHENTICATED_FAILED',
      });
      // It names the token it was given: the server must still never show it.
      res.end(JSON.stringify({ errorMessages: [`You are not authenticated (token ${token}).`], errors: {} }));
    }).listen(0, '127.0.0.1');
    await new Promise((r) => jira.once('listening', r));
  });
  afterAll(() => new Promise<void>((r) => jira.close(() => r())));

  it('answers the 401 as a tool error naming the status and code, without the credential', async () => {
    const rig = await connectedIntegration({
      platform,
      integration: 'jira',
      baseUrl: `http://127.0.0.1:${(jira.address() as AddressInfo).port}`,
      credential: JSON.stringify({ email: 'agent@example.com', apiToken: token }),
    });
    const inv = await rig.invoke('get_issue', { issueKey: 'PROJ-1' });
    const error = toolErrorOf(inv);
    expect(error).toMatchObject({ vendor: 'Jira', status: 401, code: 'unauthorized' });
    expect(error.message).toMatch(
      /^Jira rejected the credentials \(401\): check the secret .*You are not authenticated/,
    );
    expect(seen).toContain(
      'GET /rest/api/3/issue/PROJ-1?fields=summary%2Cstatus%2Cassignee%2Cissuetype%2Clabels%2Cproject%2Cpriority%2Ccreated%2Cupdated%2Cdescription%2Ccomment%2Creporter%2Cresolution Basic',
    );
    const text = JSON.stringify(inv);
    expect(text).not.toContain(token);
    expect(text).not.toContain(Buffer.from(`agent@example.com:${token}`).toString('base64'));
    await expectKeptWithout(platform, inv.invocationId, [
      token,
      Buffer.from(`agent@example.com:${token}`).toString('base64'),
    ]);
  });
});
