// Confluence's tools on the real path (agent → invocation workflow → the Confluence integration server,
// sandboxed → a sandbox): every tool against the mock (Prism on the hand-written v1 subset: shapes) and the
// emulator (state: create, find by CQL, read, update as the next version), and a wrong credential against a
// local server answering as Confluence does.
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
} from '../helpers/integration-rig.js';
import { call } from '../helpers/stack.js';

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({ sandboxes: { idleMs: 600_000 } });
});
afterAll(async () => {
  await platform?.stop();
});

describe('Confluence against the mock sandbox (Prism on the v1 subset)', () => {
  let rig: IntegrationRig;
  beforeAll(async () => {
    rig = await integrationRig({ integration: 'confluence', mode: 'mock', platform });
  });

  it('is listed by GET /v1/integrations with its tools, credential and sandbox modes', async () => {
    const res = await call(`${platform.url}/v1/integrations/confluence`, { key: rig.developerKey });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({
      name: 'confluence',
      securityLevel: 'high',
      toolCount: 5,
      credentials: { format: expect.stringContaining('apiToken'), config: 'credentials: "secret:NAME"' },
      sandbox: { target: 'confluence', modes: ['mock', 'emulated'] },
    });
    const tool = res.json.tools.find((t: { name: string }) => t.name === 'update_page');
    expect(tool.annotations).toMatchObject({ readOnlyHint: false, openWorldHint: true });
  });

  it('answers every tool in the shapes of the description’s examples', async () => {
    const page = { id: '65541', title: 'Release notes', type: 'page', spaceKey: 'DOCS' };
    expect(
      await rig.run('create_page', { spaceKey: 'DOCS', title: 'Release notes', body: 'What changed.' }),
    ).toMatchObject({
      ...page,
      version: 1,
      url: 'https://your-domain.atlassian.net/wiki/spaces/DOCS/pages/65541/Release+notes',
    });
    expect(await rig.run('get_page', { pageId: '65541' })).toMatchObject({
      ...page,
      parentId: '65540',
      body: '<p>What changed in this release.</p>',
      bodyFormat: 'storage',
    });
    expect(await rig.run('update_page', { pageId: '65541', body: '<p>New</p>', bodyFormat: 'storage' })).toMatchObject({
      ...page,
      version: 2,
    });
    expect(await rig.run('search_pages', { cql: 'space = DOCS AND type = page', limit: 10 })).toMatchObject({
      size: 1,
      results: [page],
      nextCursor: null,
    });
    expect(await rig.run('list_spaces', { type: 'global' })).toMatchObject({
      size: 2,
      hasMore: false,
      spaces: [
        { key: 'DOCS', name: 'Documentation', type: 'global' },
        { key: 'ENG', name: 'Engineering' },
      ],
    });
  });
});

describe('Confluence against the emulated sandbox', () => {
  let rig: IntegrationRig;
  beforeAll(async () => {
    rig = await integrationRig({ integration: 'confluence', mode: 'emulated', platform });
  });

  it('creates pages, finds them by CQL, reads one and updates it as its next version', async () => {
    const home = await rig.run('create_page', { spaceKey: 'DOCS', title: 'Documentation', body: 'Start here.' });
    expect(home).toMatchObject({ id: expect.stringMatching(/^\d+$/), spaceKey: 'DOCS', version: 1 });
    const notes = await rig.run('create_page', {
      spaceKey: 'DOCS',
      title: 'Release notes',
      body: 'What changed:\nfaster search\n\nWhat is next: <export>',
      parentId: home.id,
    });
    await rig.run('create_page', { spaceKey: 'OPS', title: 'Runbook', body: 'Restart it.' });

    const titles = async (cql: string) =>
      ((await rig.run('search_pages', { cql })).results as Array<{ title: string }>).map((r) => r.title);
    expect(await titles('space = DOCS')).toEqual(['Documentation', 'Release notes']);
    expect(await titles('space = DOCS AND title ~ "release" AND type = page')).toEqual(['Release notes']);
    expect(await titles('type = page ORDER BY created DESC')).toEqual(['Runbook', 'Release notes', 'Documentation']);
    const first = await rig.run('search_pages', { cql: 'type = page', limit: 2 });
    expect(first.nextCursor).toEqual(expect.any(String));
    const rest = await rig.run('search_pages', { cql: 'type = page', limit: 2, cursor: first.nextCursor });
    expect(rest).toMatchObject({ size: 1, results: [{ title: 'Runbook' }], nextCursor: null });

    expect(await rig.run('get_page', { pageId: notes.id })).toMatchObject({
      id: notes.id,
      title: 'Release notes',
      spaceKey: 'DOCS',
      version: 1,
      parentId: home.id,
      body: '<p>What changed:<br />faster search</p><p>What is next: &lt;export&gt;</p>',
    });
    expect(
      await rig.run('update_page', { pageId: notes.id, title: 'Release notes 1.4', versionMessage: 'renamed' }),
    ).toMatchObject({
      title: 'Release notes 1.4',
      version: 2,
    });
    expect(await rig.run('update_page', { pageId: notes.id, body: 'Rewritten.' })).toMatchObject({ version: 3 });
    expect(await rig.run('get_page', { pageId: notes.id })).toMatchObject({
      title: 'Release notes 1.4',
      version: 3,
      body: '<p>Rewritten.</p>',
    });
    expect(await rig.run('list_spaces', {})).toMatchObject({ spaces: expect.any(Array) });
  });

  it('answers CQL it cannot run, a taken title and an unknown page as Confluence’s errors', async () => {
    const cql = toolErrorOf(await rig.invoke('search_pages', { cql: 'space = DOCS AND lastmodified > now("-1d")' }));
    expect(cql).toMatchObject({ status: 400, code: 'bad_request' });
    expect(cql.message).toMatch(/^Confluence refused the request \(400\): .*operator '>' is not supported/);
    const taken = toolErrorOf(await rig.invoke('create_page', { spaceKey: 'OPS', title: 'Runbook', body: 'Again.' }));
    expect(taken.message).toMatch(/A page with this title already exists/);
    const missing = toolErrorOf(await rig.invoke('get_page', { pageId: '999999' }));
    expect(missing).toMatchObject({ status: 404, code: 'not_found' });
    expect(missing.message).toMatch(/No content found with id: ContentId\{id=999999\}/);
  });
});

describe('Confluence with a wrong credential', () => {
  let confluence: Server;
  const token = 'ATATT3xFfGF0-wrong-confluence-token-42';
  beforeAll(async () => {
    // Confluence's answer to a bad API token: 401 in its v1 error shape.
    confluence = createServer((req, res) => {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="Confluence"' });
      res.end(
        JSON.stringify({
          statusCode: 401,
          data: { authorized: false, valid: true, errors: [], successful: false },
          message: `This request requires authentication (${req.headers.authorization ?? 'no credentials'})`,
        }),
      );
    }).listen(0, '127.0.0.1');
    await new Promise((r) => confluence.once('listening', r));
  });
  afterAll(() => new Promise<void>((r) => confluence.close(() => r())));

  it('answers the 401 as a tool error naming the status and code, without the credential', async () => {
    const rig = await connectedIntegration({
      platform,
      integration: 'confluence',
      baseUrl: `http://127.0.0.1:${(confluence.address() as AddressInfo).port}/wiki`,
      credential: JSON.stringify({ email: 'agent@example.com', apiToken: token }),
    });
    const inv = await rig.invoke('search_pages', { cql: 'type = page' });
    const error = toolErrorOf(inv);
    expect(error).toMatchObject({ vendor: 'Confluence', status: 401, code: 'unauthorized' });
    expect(error.message).toMatch(
      /^Confluence rejected the credentials \(401\): check the secret .*requires authentication/,
    );
    const text = JSON.stringify(inv);
    expect(text).not.toContain(token);
    // The server echoed the Basic header back: that is the credential too.
    expect(text).not.toContain(Buffer.from(`agent@example.com:${token}`).toString('base64'));
  });
});
