// Slack's error mapping (codes in HTTP 200 bodies, a real 429 with Retry-After), its tool schemas as Collexa
// checks them, and what the handlers send, against a local server speaking the Web API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackApi, slackFailure, slackStatus } from '../../core/integrations/slack/slack-api.js';
import { slackHandlers } from '../../core/integrations/slack/slack.handlers.js';
import { slackSpec } from '../../core/integrations/slack/slack.spec.js';
import type { IntegrationSettings } from '../../core/integrations/server/handler.js';
import { VendorError } from '../../core/integrations/server/vendor-error.js';
import { assertUsableToolSchema } from '../../core/invocations/input-validator.js';
import { json, vendorServer, type VendorServer } from '../helpers/vendor-server.js';

describe('Slack error codes', () => {
  it.each([
    ['invalid_auth', 401],
    ['not_authed', 401],
    ['account_inactive', 401],
    ['token_revoked', 401],
    ['missing_scope', 403],
    ['not_allowed_token_type', 403],
    ['channel_not_found', 404],
    ['message_not_found', 404],
    ['already_reacted', 409],
    ['ratelimited', 429],
    ['fatal', 500],
    ['internal_error', 500],
    ['invalid_arg_name', 400],
    ['too_many_attachments', 400],
  ])('%s stands for %i', (code, status) => {
    expect(slackStatus(code)).toBe(status);
    const err = slackFailure({ ok: false, error: code });
    expect(err).toMatchObject({ vendor: 'Slack', status, code });
    expect(err.message).toContain(`(${status})`);
    expect(err.message).toContain(code);
  });

  it('names the scope a missing_scope needs', () => {
    const err = slackFailure({ ok: false, error: 'missing_scope', needed: 'chat:write', provided: 'channels:read' });
    expect(err.message).toMatch(
      /Slack denied the request \(403\).*missing_scope \(needs chat:write; the token has channels:read\)/,
    );
  });
});

describe('SlackApi against a server speaking the Web API', () => {
  let slack: VendorServer;
  let answer: { status: number; headers?: Record<string, string>; body: unknown } = { status: 200, body: { ok: true } };
  beforeAll(async () => {
    slack = await vendorServer((_req, res) => json(res, answer.status, answer.body, answer.headers));
  });
  afterAll(() => slack?.close());
  const seen = () => slack.seen;
  const signal = new AbortController().signal;
  const api = (sandbox = false) => new SlackApi({ baseUrl: `${slack.url}/api`, token: 'xoxb-unit-token', sandbox });

  it('throws an ok:false answer of HTTP 200 as the status its code stands for', async () => {
    answer = { status: 200, body: { ok: false, error: 'invalid_auth' } };
    const err = await api()
      .call('chat.postMessage', { form: { channel: 'C1', text: 'hi' }, signal })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VendorError);
    expect(err).toMatchObject({ status: 401, code: 'invalid_auth' });
    expect(seen().at(-1)).toMatchObject({ method: 'POST', url: '/api/chat.postMessage', body: 'channel=C1&text=hi' });
    expect(seen().at(-1)!.headers).toMatchObject({ authorization: 'Bearer xoxb-unit-token' });
    expect(seen().at(-1)!.headers.token).toBeUndefined();
  });

  it('reads a 429 with Retry-After as a rate limit with its wait', async () => {
    answer = { status: 429, headers: { 'retry-after': '30' }, body: { ok: false, error: 'ratelimited' } };
    const err = await api()
      .call('conversations.history', { query: { channel: 'C1', limit: 10 }, signal })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 429, code: 'ratelimited', retryAfterSeconds: 30 });
    expect((err as Error).message).toMatch(/rate-limited the request \(429\): retry after 30 s/);
    expect(seen().at(-1)).toMatchObject({ method: 'GET', url: '/api/conversations.history?channel=C1&limit=10' });
  });

  it('reads a 5xx as the vendor failing', async () => {
    answer = { status: 503, body: { ok: false, error: 'service_unavailable' } };
    expect(
      await api()
        .call('conversations.list', { query: {}, signal })
        .catch((e: unknown) => e),
    ).toMatchObject({
      status: 503,
      code: 'service_unavailable',
    });
  });

  it('gives a sandbox the token as the `token` header its description declares', async () => {
    answer = { status: 200, body: { ok: true } };
    await api(true).call('reactions.add', { form: { channel: 'C1', timestamp: '1.1', name: 'eyes' }, signal });
    expect(seen().at(-1)!.headers).toMatchObject({ token: 'xoxb-unit-token', authorization: 'Bearer xoxb-unit-token' });
  });
});

describe('the Slack spec and handlers', () => {
  it('has a handler and a schema Collexa can use for every tool, reads read-only and nothing destructive', () => {
    for (const tool of slackSpec.tools) {
      expect(slackHandlers.tools[tool.name], tool.name).toBeTypeOf('function');
      expect(() => assertUsableToolSchema(tool.inputSchema, { tool: tool.name })).not.toThrow();
      expect(tool.annotations.openWorldHint).toBe(true);
      expect(tool.annotations.destructiveHint ?? false).toBe(false);
    }
    const reads = slackSpec.tools.filter((t) => t.annotations.readOnlyHint).map((t) => t.name);
    expect(reads).toEqual(['list_channels', 'read_history']);
  });

  it('refuses a credential that is not a Slack token, naming no value', () => {
    const settings: IntegrationSettings = { integration: 'slack', endpoints: {}, tools: [], options: {} };
    expect(() => slackHandlers.connect(settings, 'ghp_not-slack')).toThrow(/must be a Slack token/);
    expect(() => slackHandlers.connect(settings, '')).toThrow(/no credential/);
    expect(slackHandlers.connect(settings, 'xoxb-1-abc')).toBeInstanceOf(SlackApi);
  });

  it('sends files.upload the content as a form field, channels comma-separated', async () => {
    const calls: Array<[string, unknown]> = [];
    const client = {
      call: async (method: string, req: unknown) => {
        calls.push([method, req]);
        return {
          ok: true,
          file: { id: 'F1', name: 'a.txt', title: 'A', size: 5, permalink: 'https://x/F1', secret: 'x' },
        };
      },
    } as unknown as SlackApi;
    const settings: IntegrationSettings = { integration: 'slack', endpoints: {}, tools: [], options: {} };
    const out = await slackHandlers.tools.upload_text_file!(
      { content: 'hello', filename: 'a.txt', channels: ['C1', 'C2'] },
      { client, settings, signal: new AbortController().signal },
    );
    expect(calls[0]![0]).toBe('files.upload');
    expect(calls[0]![1]).toMatchObject({ form: { content: 'hello', filename: 'a.txt', channels: 'C1,C2' } });
    expect(out).toEqual({ file: { id: 'F1', name: 'a.txt', title: 'A', size: 5, permalink: 'https://x/F1' } });
  });
});
