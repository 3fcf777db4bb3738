// The emulator's vendor behaviours (behaviours/slack.ts, behaviours/github.ts) over HTTP, on the shipped
// subsets of the Slack and GitHub descriptions, each on its own database in the run's PostgreSQL.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubSpec } from '../../core/integrations/github/github.spec.js';
import { slackSpec } from '../../core/integrations/slack/slack.spec.js';
import { emulatorsOnFiles } from '../helpers/emulator.js';
import { call } from '../helpers/stack.js';

const emulators = emulatorsOnFiles();
const emulate = (specPath: string) => emulators.start(specPath);
afterAll(() => emulators.stopAll());

describe('the Slack behaviour', () => {
  let url: string;
  beforeAll(async () => {
    url = `${await emulate(slackSpec.sandbox.spec!)}/api`;
  });
  const slack = (method: string, form: Record<string, string>) =>
    call(`${url}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', token: 'xoxb-test' },
      body: new URLSearchParams(form).toString(),
    });
  const history = async (channel: string, query = '') =>
    (await call(`${url}/conversations.history?channel=${channel}${query}`)).json;

  it('keeps posted messages per channel, newest first, threads and broadcasts apart', async () => {
    const first = await slack('chat.postMessage', { channel: 'C0ALPHA', text: 'first' });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ ok: true, channel: 'C0ALPHA', message: { text: 'first' } });
    expect(first.json.ts).toMatch(/^\d{10}\.\d{6}$/);
    const second = await slack('chat.postMessage', { channel: 'C0ALPHA', text: 'second' });
    await slack('chat.postMessage', { channel: 'C0OTHER', text: 'elsewhere' });
    const reply = await slack('chat.postMessage', { channel: 'C0ALPHA', text: 'a reply', thread_ts: first.json.ts });
    expect(reply.json.message).toMatchObject({ thread_ts: first.json.ts, text: 'a reply' });

    const h = await history('C0ALPHA');
    expect(h).toMatchObject({ ok: true, has_more: false });
    expect(h.messages.map((m: { text: string }) => m.text)).toEqual(['second', 'first']);
    expect(h.messages[1]).toMatchObject({ reply_count: 1, latest_reply: reply.json.ts, thread_ts: first.json.ts });

    const paged = await history('C0ALPHA', '&limit=1');
    expect(paged).toMatchObject({ has_more: true, messages: [{ ts: second.json.ts }] });
    const rest = await history('C0ALPHA', `&limit=1&cursor=${encodeURIComponent(paged.response_metadata.next_cursor)}`);
    expect(rest).toMatchObject({ has_more: false, messages: [{ ts: first.json.ts }] });
    expect(
      (await history('C0ALPHA', `&oldest=${first.json.ts}`)).messages.map((m: { text: string }) => m.text),
    ).toEqual(['second']);
  });

  it('edits and reacts to a message, answering Slack errors with HTTP 200', async () => {
    const posted = await slack('chat.postMessage', { channel: 'C0EDIT', text: 'draft' });
    const ts = posted.json.ts as string;
    expect((await slack('chat.update', { channel: 'C0EDIT', ts, text: 'final' })).json).toMatchObject({
      ok: true,
      text: 'final',
    });
    expect((await slack('reactions.add', { channel: 'C0EDIT', timestamp: ts, name: 'eyes' })).json).toEqual({
      ok: true,
    });
    const again = await slack('reactions.add', { channel: 'C0EDIT', timestamp: ts, name: 'eyes' });
    expect([again.status, again.json]).toEqual([200, { ok: false, error: 'already_reacted' }]);
    const [m] = (await history('C0EDIT')).messages;
    expect(m).toMatchObject({ text: 'final', reactions: [{ name: 'eyes', count: 1 }], edited: { user: m.user } });
    const missing = await slack('chat.update', { channel: 'C0EDIT', ts: '1000000000.000001', text: 'x' });
    expect([missing.status, missing.json]).toEqual([200, { ok: false, error: 'message_not_found' }]);
    expect((await slack('chat.postMessage', { channel: 'C0EDIT', text: '' })).json.error).toBe('no_text');
  });

  it('answers the methods it does not keep from the description', async () => {
    const list = await call(`${url}/conversations.list`);
    expect(list.json).toMatchObject({ ok: true, channels: [{ id: 'C012AB3CD', name: 'general' }, { name: 'random' }] });
  });
});

describe('the GitHub behaviour', () => {
  let url: string;
  beforeAll(async () => {
    url = await emulate(githubSpec.sandbox.spec!);
  });
  const put = (path: string, body: object) =>
    call(`${url}/repos/octo/demo/contents/${encodeURIComponent(path)}`, { method: 'PUT', json: body });
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const blob = (s: string) =>
    createHash('sha1')
      .update(`blob ${Buffer.byteLength(s)}\0${s}`)
      .digest('hex');

  it('creates a file, reads it back, lists its directory and refuses a stale sha', async () => {
    const created = await put('docs/guide.md', { message: 'add the guide', content: b64('# Guide\n') });
    expect(created.status).toBe(201);
    expect(created.json.content).toMatchObject({ path: 'docs/guide.md', name: 'guide.md', sha: blob('# Guide\n') });
    expect(created.json.commit).toMatchObject({ message: 'add the guide' });
    const read = await call(`${url}/repos/octo/demo/contents/${encodeURIComponent('docs/guide.md')}`);
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ type: 'file', encoding: 'base64', size: 8, sha: blob('# Guide\n') });
    expect(Buffer.from(read.json.content, 'base64').toString()).toBe('# Guide\n');
    const dir = await call(`${url}/repos/octo/demo/contents/docs`);
    expect(dir.json).toEqual([expect.objectContaining({ name: 'guide.md', type: 'file' })]);

    expect((await put('docs/guide.md', { message: 'no sha', content: b64('x') })).status).toBe(422);
    const stale = await put('docs/guide.md', { message: 'stale', content: b64('x'), sha: 'f'.repeat(40) });
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({ message: expect.stringContaining('does not match') });
    const updated = await put('docs/guide.md', { message: 'edit', content: b64('v2'), sha: read.json.sha });
    expect([updated.status, updated.json.content.sha]).toEqual([200, blob('v2')]);
    const missing = await call(`${url}/repos/octo/demo/contents/nope.md`);
    expect([missing.status, missing.json.message]).toEqual([404, 'Not Found']);
  });

  it('numbers issues and pull requests, shapes assignees and branches, and answers errors as GitHub does', async () => {
    const issue = await call(`${url}/repos/octo/demo/issues`, {
      method: 'POST',
      json: { title: 'Crash on save', assignees: ['ada'] },
    });
    expect(issue.status).toBe(201);
    expect(issue.json).toMatchObject({
      number: 1,
      title: 'Crash on save',
      state: 'open',
      assignees: [{ login: 'ada' }],
    });
    expect((await call(`${url}/repos/octo/demo/issues/1`)).json.title).toBe('Crash on save');
    const pr = await call(`${url}/repos/octo/demo/pulls`, {
      method: 'POST',
      json: { title: 'Fix the crash', head: 'fix-crash', base: 'main' },
    });
    expect(pr.json).toMatchObject({
      number: 1,
      head: { ref: 'fix-crash', label: 'octo:fix-crash' },
      base: { ref: 'main' },
      merged: false,
    });
    expect((await call(`${url}/repos/octo/demo/pulls/1`)).json.head.ref).toBe('fix-crash');
    const gone = await call(`${url}/repos/octo/demo/issues/99`);
    expect([gone.status, gone.json]).toEqual([
      404,
      expect.objectContaining({ message: expect.any(String), documentation_url: expect.any(String) }),
    ]);
  });
});
