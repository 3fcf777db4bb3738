// The Slack integration on the real path: agent → invocation workflow → the Slack MCP server (sandboxed)
// → its sandbox (Prism on the Web API subset; the emulator with its Slack behaviour), and a wrong token
// against a server answering as Slack does (HTTP 200, {"ok":false,"error":"invalid_auth"}).
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

const TS = /^\d{10}\.\d{6}$/;

describe('Slack on its mock sandbox (Prism)', () => {
  let rig: IntegrationRig;
  beforeAll(async () => {
    rig = await integrationRig({ integration: 'slack', mode: 'mock', platform });
  }, 240_000);

  it('posts, edits, replies and reacts with the answers the description gives', async () => {
    const posted = await rig.run('post_message', { channel: 'C1H9RESGL', text: 'Deploy finished' });
    expect(posted).toMatchObject({
      channel: 'C1H9RESGL',
      ts: expect.stringMatching(TS),
      message: { text: expect.any(String) },
    });
    const edited = await rig.run('update_message', {
      channel: 'C024BE91L',
      ts: '1401383885.000061',
      text: 'Deploy done',
    });
    expect(edited).toMatchObject({ channel: 'C024BE91L', ts: '1401383885.000061', text: expect.any(String) });
    const reply = await rig.run('reply_in_thread', {
      channel: 'C1H9RESGL',
      thread_ts: posted.ts,
      text: 'Logs attached',
    });
    expect(reply).toMatchObject({ channel: expect.any(String), ts: expect.stringMatching(TS) });
    expect(
      await rig.run('add_reaction', { channel: 'C1H9RESGL', timestamp: posted.ts, name: 'white_check_mark' }),
    ).toEqual({
      ok: true,
      channel: 'C1H9RESGL',
      timestamp: posted.ts,
      name: 'white_check_mark',
    });
  });

  it('lists channels and reads history, trimmed to what an agent needs', async () => {
    const channels = await rig.run('list_channels', { types: ['public_channel', 'private_channel'], limit: 50 });
    expect(channels).toMatchObject({
      channels: [{ id: 'C012AB3CD', name: 'general', is_private: false, is_member: true }, { name: 'random' }],
      next_cursor: expect.any(String),
    });
    expect(Object.keys((channels.channels as object[])[0]!)).not.toContain('previous_names');
    const history = await rig.run('read_history', { channel: 'C012AB3CD', limit: 2, oldest: '1512085950.000000' });
    expect(history).toMatchObject({
      channel: 'C012AB3CD',
      messages: [{ ts: expect.stringMatching(TS), user: expect.any(String), text: expect.any(String) }, {}],
      has_more: true,
    });
  });

  it('uploads a text file', async () => {
    const file = await rig.run('upload_text_file', {
      content: 'line 1\nline 2\n',
      filename: 'report.txt',
      channels: ['C012AB3CD'],
      title: 'Nightly report',
    });
    expect(file).toMatchObject({ file: { id: expect.any(String), name: expect.any(String) } });
  });

  it('refuses input outside the tool schema before Slack is called', async () => {
    const inv = await rig.invoke('read_history', { channel: 'C012AB3CD', limit: 500 });
    expect(inv.error?.code).toBe('invalid_input');
  });
});

describe('Slack on its emulated sandbox', () => {
  let rig: IntegrationRig;
  beforeAll(async () => {
    rig = await integrationRig({ integration: 'slack', mode: 'emulated', platform });
  }, 240_000);

  it('shows a posted message in the history, then its edit, its thread and its reaction', async () => {
    const channel = 'C0DEPLOYS';
    const posted = await rig.run('post_message', { channel, text: 'Deploy started' });
    expect(posted).toMatchObject({ channel, ts: expect.stringMatching(TS), message: { text: 'Deploy started' } });
    const ts = posted.ts as string;
    expect(await rig.run('read_history', { channel })).toMatchObject({
      messages: [{ ts, text: 'Deploy started' }],
      has_more: false,
    });
    await rig.run('update_message', { channel, ts, text: 'Deploy finished' });
    const reply = await rig.run('reply_in_thread', { channel, thread_ts: ts, text: 'All green' });
    expect(reply).toMatchObject({ message: { thread_ts: ts, text: 'All green' } });
    await rig.run('add_reaction', { channel, timestamp: ts, name: 'tada' });
    const history = await rig.run('read_history', { channel, limit: 10 });
    expect(history.messages).toEqual([
      expect.objectContaining({
        ts,
        text: 'Deploy finished',
        edited: true,
        reply_count: 1,
        reactions: [{ name: 'tada', count: 1 }],
      }),
    ]);
  });

  it('answers Slack errors as tool errors with their status and code', async () => {
    const missing = await rig.invoke('update_message', { channel: 'C0DEPLOYS', ts: '1000000000.000001', text: 'x' });
    expect(missing.status).toBe('failed');
    expect(missing.error?.message).toMatch(/\(404\).*message_not_found/);
    const posted = await rig.run('post_message', { channel: 'C0DEPLOYS', text: 'react twice' });
    await rig.run('add_reaction', { channel: 'C0DEPLOYS', timestamp: posted.ts, name: 'eyes' });
    const twice = await rig.invoke('add_reaction', { channel: 'C0DEPLOYS', timestamp: posted.ts, name: 'eyes' });
    expect(twice.result?.structuredContent).toMatchObject({ error: { status: 409, code: 'already_reacted' } });
  });

  it('lists channels and uploads a file from the description', async () => {
    expect(await rig.run('list_channels', {})).toMatchObject({ channels: [{ id: 'C012AB3CD' }, { id: 'C061EG9T2' }] });
    expect(await rig.run('upload_text_file', { content: 'hello', filename: 'hello.txt' })).toMatchObject({
      file: { id: expect.any(String) },
    });
  });
});

describe('Slack with a wrong token', () => {
  const token = 'xoxb-0000-wrong-token-value';
  let slack: VendorServer;
  // What slack.com answers a revoked or mistyped token: HTTP 200 with ok false.
  beforeAll(async () => {
    slack = await vendorServer((_req, res) => json(res, 200, { ok: false, error: 'invalid_auth' }));
  });
  afterAll(() => slack?.close());

  it('maps invalid_auth to a 401 tool error that never shows the token', async () => {
    const baseUrl = `${slack.url}/api`;
    const { invoke } = await connectedIntegration({ integration: 'slack', baseUrl, credential: token, platform });
    const inv = await invoke('post_message', { channel: 'C012AB3CD', text: 'hello' });
    expect(inv.status).toBe('failed');
    expect(inv.error?.message).toMatch(/Slack rejected the credentials \(401\).*invalid_auth/);
    expect(inv.result?.structuredContent).toMatchObject({
      error: { vendor: 'Slack', status: 401, code: 'invalid_auth' },
    });
    expect(JSON.stringify(inv)).not.toContain(token);
    await expectKeptWithout(platform, inv.invocationId, [token]);
    // The token went as a bearer token to Slack's method path, and not twice (no `token` header outside a sandbox).
    expect(slack.seen).toHaveLength(1);
    expect(slack.seen[0]).toMatchObject({ url: '/api/chat.postMessage', body: 'channel=C012AB3CD&text=hello' });
    expect(slack.seen[0]!.headers).toMatchObject({ authorization: `Bearer ${token}` });
    expect(slack.seen[0]!.headers.token).toBeUndefined();
  });
});
