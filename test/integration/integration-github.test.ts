// The GitHub integration on the real path: agent → invocation workflow → the GitHub MCP server (sandboxed)
// → its sandbox (Prism on the REST subset; the emulator, issues and pulls as CRUD, files by its GitHub
// behaviour), and a wrong token against a server answering as GitHub does (401 Bad credentials).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectedIntegration,
  integrationRig,
  type IntegrationRig,
  type Platform,
  expectKeptWithout,
} from '../helpers/integration-rig.js';
import { startPlatform } from '../helpers/platform.js';
import { json, vendorServer, type VendorServer } from '../helpers/vendor-server.js';

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({ sandboxes: { idleMs: 600_000 } });
}, 120_000);
afterAll(async () => {
  await platform?.stop();
});

const repo = { owner: 'octo-org', repo: 'hello-world' };

describe('GitHub on its mock sandbox (Prism)', () => {
  let rig: IntegrationRig;
  beforeAll(async () => {
    rig = await integrationRig({ integration: 'github', mode: 'mock', platform });
  }, 240_000);

  it('lists, reads, opens and comments on issues with the answers the description gives', async () => {
    const listed = await rig.run('list_issues', { ...repo, state: 'all', labels: ['bug', 'ui'], per_page: 5 });
    expect(listed).toMatchObject({
      issues: [{ number: 1347, title: 'Found a bug', state: 'open', user: 'octocat', labels: ['bug'] }],
      page: 1,
      per_page: 5,
    });
    const issue = await rig.run('get_issue', { ...repo, issue_number: 1347 });
    expect(issue).toMatchObject({ number: 1347, body: expect.any(String), html_url: expect.stringMatching(/^https:/) });
    expect(Object.keys(issue)).not.toContain('reactions');
    expect(await rig.run('create_issue', { ...repo, title: 'Crash on save', labels: ['bug'] })).toMatchObject({
      number: expect.any(Number),
      title: expect.any(String),
    });
    const comment = await rig.run('comment_on_issue', { ...repo, issue_number: 1347, body: 'Reproduced on main.' });
    expect(comment).toMatchObject({ id: expect.any(Number), user: expect.any(String), body: expect.any(String) });
    expect(await rig.run('list_issue_comments', { ...repo, issue_number: 1347 })).toMatchObject({
      comments: [{ id: expect.any(Number), body: expect.any(String) }],
    });
  });

  it('lists, reads and opens pull requests', async () => {
    const listed = await rig.run('list_pull_requests', { ...repo, state: 'open', base: 'main' });
    expect(listed).toMatchObject({
      pull_requests: [{ number: 1347, head: { ref: 'new-topic' }, base: { ref: expect.any(String) } }],
    });
    const pr = await rig.run('get_pull_request', { ...repo, pull_number: 1347 });
    expect(pr).toMatchObject({ number: 1347, merged: expect.any(Boolean), additions: expect.any(Number) });
    expect(await rig.run('create_pull_request', { ...repo, title: 'Fix', head: 'fix', base: 'main' })).toMatchObject({
      number: expect.any(Number),
    });
  });

  it('reads contents (the first example is a directory) and writes a file', async () => {
    const read = await rig.run('get_file_contents', { ...repo, path: 'lib/octokit.rb' });
    expect(read).toMatchObject({
      type: 'dir',
      entries: [
        { name: 'octokit.rb', type: 'file' },
        { name: 'octokit', type: 'dir' },
      ],
    });
    const written = await rig.run('create_or_update_file', {
      ...repo,
      path: 'notes/hello.md',
      message: 'add notes',
      content: '# Hello\n',
    });
    expect(written).toMatchObject({ content: { sha: expect.any(String) }, commit: { sha: expect.any(String) } });
  });
});

describe('GitHub on its emulated sandbox', () => {
  let rig: IntegrationRig;
  beforeAll(async () => {
    rig = await integrationRig({ integration: 'github', mode: 'emulated', platform });
  }, 240_000);

  it('finds an issue it opened, and its comment', async () => {
    expect(await rig.run('list_issues', repo)).toMatchObject({ issues: [] });
    const created = await rig.run('create_issue', {
      ...repo,
      title: 'Crash on save',
      body: 'Steps: save twice.',
      labels: ['bug'],
      assignees: ['ada'],
    });
    expect(created).toMatchObject({ number: 1, state: 'open', labels: ['bug'], assignees: ['ada'] });
    const listed = await rig.run('list_issues', { ...repo, state: 'open' });
    expect(listed.issues).toEqual([expect.objectContaining({ number: 1, title: 'Crash on save' })]);
    expect(await rig.run('get_issue', { ...repo, issue_number: 1 })).toMatchObject({ body: 'Steps: save twice.' });
    await rig.run('comment_on_issue', { ...repo, issue_number: 1, body: 'Seen on 1.2 too.' });
    expect(await rig.run('list_issue_comments', { ...repo, issue_number: 1 })).toMatchObject({
      comments: [{ body: 'Seen on 1.2 too.' }],
    });
    const missing = await rig.invoke('comment_on_issue', { ...repo, issue_number: 99, body: 'x' });
    expect(missing.result?.structuredContent).toMatchObject({ error: { status: 404 } });
    // Another repository holds none of them.
    expect(await rig.run('list_issues', { owner: 'octo-org', repo: 'other' })).toMatchObject({ issues: [] });
  });

  it('opens a pull request and reads it back with its branches', async () => {
    const pr = await rig.run('create_pull_request', {
      ...repo,
      title: 'Fix the crash',
      head: 'fix-crash',
      base: 'main',
    });
    expect(pr).toMatchObject({ number: 1, state: 'open', head: { ref: 'fix-crash' }, base: { ref: 'main' } });
    expect(await rig.run('get_pull_request', { ...repo, pull_number: 1 })).toMatchObject({ title: 'Fix the crash' });
    expect((await rig.run('list_pull_requests', repo)).pull_requests).toHaveLength(1);
  });

  it('writes a file, reads its text back, and replaces it only with its current sha', async () => {
    const path = 'docs/guide.md';
    const created = await rig.run('create_or_update_file', {
      ...repo,
      path,
      message: 'add guide',
      content: '# Guide\n',
    });
    const read = await rig.run('get_file_contents', { ...repo, path });
    expect(read).toMatchObject({
      type: 'file',
      path,
      text: '# Guide\n',
      sha: (created.content as { sha: string }).sha,
    });
    expect(await rig.run('get_file_contents', { ...repo, path: 'docs' })).toMatchObject({
      type: 'dir',
      entries: [{ name: 'guide.md', type: 'file' }],
    });
    const stale = await rig.invoke('create_or_update_file', {
      ...repo,
      path,
      message: 'stale',
      content: 'v2',
      sha: '0'.repeat(40),
    });
    expect(stale.result?.structuredContent).toMatchObject({ error: { status: 409 } });
    await rig.run('create_or_update_file', { ...repo, path, message: 'v2', content: 'v2', sha: read.sha });
    expect(await rig.run('get_file_contents', { ...repo, path })).toMatchObject({ text: 'v2' });
  });
});

describe('GitHub with a wrong token', () => {
  const token = 'github_pat_11WRONGTOKENVALUE0000';
  let github: VendorServer;
  // What api.github.com answers a bad token.
  beforeAll(async () => {
    // It echoes the Authorization header it got, as a careless proxy might: the token must still go nowhere.
    github = await vendorServer((req, res) =>
      json(res, 401, {
        message: `Bad credentials (${String(req.headers.authorization)})`,
        documentation_url: 'https://docs.github.com/rest',
        status: '401',
      }),
    );
  });
  afterAll(() => github?.close());

  it('answers a 401 tool error with GitHub’s message that never shows the token', async () => {
    const { invoke } = await connectedIntegration({
      integration: 'github',
      baseUrl: github.url,
      credential: token,
      platform,
    });
    const inv = await invoke('get_issue', { ...repo, issue_number: 1 });
    expect(inv.status).toBe('failed');
    expect(inv.error?.message).toMatch(/GitHub rejected the credentials \(401\).*Bad credentials/);
    expect(inv.result?.structuredContent).toMatchObject({
      error: { vendor: 'GitHub', status: 401, code: 'unauthorized' },
    });
    expect(JSON.stringify(inv)).not.toContain(token);
    expect(JSON.stringify(inv)).toContain('[secret:credentials]');
    await expectKeptWithout(platform, inv.invocationId, [token]);
    expect(github.seen[0]!.headers).toMatchObject({
      authorization: `Bearer ${token}`,
      accept: expect.stringContaining('application/vnd.github+json'),
      'x-github-api-version': '2022-11-28',
      'user-agent': expect.any(String),
    });
  });
});
