// GitHub's error mapping (its message and 422 errors, a spent rate limit's 403 as a 429 with the reset as
// the wait), its tool schemas as Collexa checks them, and what the handlers send and answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GithubApi, readGithubError } from '../../core/integrations/github/github-api.js';
import { githubHandlers } from '../../core/integrations/github/github.handlers.js';
import { githubSpec } from '../../core/integrations/github/github.spec.js';
import { contents } from '../../core/integrations/github/github-views.js';
import type { IntegrationSettings } from '../../core/integrations/server/handler.js';
import type { VendorError } from '../../core/integrations/server/vendor-error.js';
import type { VendorRequest } from '../../core/integrations/server/vendor-http.js';
import { assertUsableToolSchema, assertValidToolInput } from '../../core/invocations/input-validator.js';
import { json, vendorServer, type VendorServer } from '../helpers/vendor-server.js';

const DOCS = 'https://docs.github.com/rest';

describe('readGithubError', () => {
  const headers = (h: Record<string, string> = {}) => new Headers(h);

  it('reads the message, and a 422’s first error code and fields', () => {
    expect(readGithubError({ message: 'Bad credentials', documentation_url: DOCS }, 401, headers())).toEqual({
      message: 'Bad credentials',
    });
    const body = {
      message: 'Validation Failed',
      errors: [{ resource: 'Issue', field: 'title', code: 'missing_field' }, { message: 'labels are invalid' }],
      documentation_url: DOCS,
    };
    expect(readGithubError(body, 422, headers())).toEqual({
      code: 'missing_field',
      message: 'Validation Failed; Issue.title missing_field; labels are invalid',
    });
  });

  it('reads a 403 with x-ratelimit-remaining 0 as a 429 waiting until the reset', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const reset = String(now / 1000 + 120);
    const read = readGithubError(
      { message: 'API rate limit exceeded for user ID 1.' },
      403,
      headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }),
      now,
    );
    expect(read).toEqual({
      code: 'rate_limited',
      status: 429,
      retryAfterSeconds: 120,
      message: 'API rate limit exceeded for user ID 1.',
    });
    // A secondary rate limit names its wait in retry-after.
    expect(readGithubError({ message: 'secondary' }, 403, headers({ 'retry-after': '60' }))).toMatchObject({
      status: 429,
      retryAfterSeconds: 60,
    });
    // A 403 with requests left is a permission refusal.
    expect(
      readGithubError({ message: 'Resource not accessible' }, 403, headers({ 'x-ratelimit-remaining': '4999' })),
    ).toEqual({ message: 'Resource not accessible' });
  });
});

describe('GithubApi against a server answering as GitHub does', () => {
  let github: VendorServer;
  let answer: { status: number; headers?: Record<string, string>; body: unknown } = { status: 200, body: {} };
  beforeAll(async () => {
    github = await vendorServer((_req, res) => json(res, answer.status, answer.body, answer.headers));
  });
  afterAll(() => github?.close());
  const failure = (a: typeof answer) => {
    answer = a;
    return new GithubApi({ baseUrl: github.url, token: 'ghp_unit' }).request({ path: '/repos/o/r/issues/1' }).then(
      () => expect.fail('GitHub answered an error'),
      (e: unknown) => e as VendorError,
    );
  };

  it.each([
    [
      401,
      {},
      'unauthorized',
      /rejected the credentials \(401\): check the secret this server is given: Bad credentials/,
    ],
    [403, {}, 'forbidden', /denied the request \(403\).*: Bad credentials/],
    [404, {}, 'not_found', /found no such resource \(404\): Bad credentials/],
    [409, {}, 'conflict', /refused a conflicting change \(409\)/],
    [429, { 'retry-after': '7' }, 'rate_limited', /rate-limited the request \(429\): retry after 7 s/],
    [502, {}, 'vendor_unavailable', /failed to answer \(502\): try again later/],
  ])('maps %i', async (status, h, code, message) => {
    const err = await failure({ status, headers: h, body: { message: 'Bad credentials', documentation_url: DOCS } });
    expect(err).toMatchObject({ vendor: 'GitHub', status, code });
    expect(err.message).toMatch(message);
  });

  it('turns a spent rate limit into a 429 with the reset as its wait', async () => {
    const reset = String(Math.floor(Date.now() / 1000) + 300);
    const err = await failure({
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset },
      body: { message: 'API rate limit exceeded', documentation_url: DOCS },
    });
    expect(err).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(err.retryAfterSeconds).toBeGreaterThan(290);
    expect(err.retryAfterSeconds).toBeLessThanOrEqual(300);
  });
});

describe('the GitHub spec and handlers', () => {
  const settings = (sandbox?: 'mock'): IntegrationSettings => ({
    integration: 'github',
    endpoints: {},
    tools: [],
    options: {},
    ...(sandbox ? { sandbox } : {}),
  });
  const fake = (answer: unknown) => {
    const requests: VendorRequest[] = [];
    const client = { request: async (req: VendorRequest) => (requests.push(req), answer) } as unknown as GithubApi;
    return { client, requests };
  };
  const signal = new AbortController().signal;

  it('has a handler and a schema Collexa can use for every tool, reads read-only and nothing destructive', () => {
    for (const tool of githubSpec.tools) {
      expect(githubHandlers.tools[tool.name], tool.name).toBeTypeOf('function');
      expect(() => assertUsableToolSchema(tool.inputSchema, { tool: tool.name })).not.toThrow();
      expect(tool.annotations).toMatchObject({ openWorldHint: true });
      expect(tool.annotations.destructiveHint ?? false).toBe(false);
      expect(tool.annotations.readOnlyHint ?? false).toBe(/^(list|get)_/.test(tool.name));
    }
  });

  it('keeps a file path’s slashes for GitHub, and sends it as one segment to a sandbox', async () => {
    const args = { owner: 'o', repo: 'r', path: '/docs/read me.md' };
    const real = fake({ type: 'file', encoding: 'base64', content: Buffer.from('hi').toString('base64') });
    await githubHandlers.tools.get_file_contents!(args, { client: real.client, settings: settings(), signal });
    expect(real.requests[0]!.path).toBe('/repos/o/r/contents/docs/read%20me.md');
    const mock = fake([]);
    await githubHandlers.tools.get_file_contents!(args, { client: mock.client, settings: settings('mock'), signal });
    expect(mock.requests[0]!.path).toBe('/repos/o/r/contents/docs%2Fread%20me.md');
  });

  it('never lets a path climb out of /contents/ to another endpoint', async () => {
    const read = githubSpec.tools.find((t) => t.name === 'get_file_contents')!;
    for (const path of ['../../../user', 'docs/../../x', './a', 'a/..'])
      expect(() =>
        assertValidToolInput(read.inputSchema, { owner: 'o', repo: 'r', path }, { tool: read.name }),
      ).toThrow(/does not match/);
    expect(() =>
      assertValidToolInput(read.inputSchema, { owner: 'o', repo: 'r', path: 'a/..b/c.d' }, { tool: read.name }),
    ).not.toThrow();
    // The backstop: VendorHttp sends no path with a dot segment, encoded or not.
    const api = new GithubApi({ baseUrl: 'http://127.0.0.1:9', token: 't' });
    for (const path of ['/repos/o/r/contents/a/../../../user/keys', '/repos/o/r/contents/%2E%2e/x', '/a/./b'])
      await expect(api.request({ path })).rejects.toMatchObject({ status: 400, code: 'invalid_path' });
  });

  it('writes a file as base64 with its sha, and opens an issue with only the fields given', async () => {
    const put = fake({ content: { path: 'a.md', sha: 'b'.repeat(40) }, commit: { sha: 'c'.repeat(40), message: 'm' } });
    const out = await githubHandlers.tools.create_or_update_file!(
      { owner: 'o', repo: 'r', path: 'a.md', message: 'm', content: 'héllo', sha: 'a'.repeat(40) },
      { client: put.client, settings: settings(), signal },
    );
    expect(put.requests[0]).toMatchObject({
      method: 'PUT',
      json: { message: 'm', content: Buffer.from('héllo').toString('base64'), sha: 'a'.repeat(40) },
    });
    expect(out).toEqual({
      content: { path: 'a.md', sha: 'b'.repeat(40) },
      commit: { sha: 'c'.repeat(40), message: 'm' },
    });
    const post = fake({ number: 5, title: 't', labels: [{ name: 'bug', color: 'f00' }], user: { login: 'ada' } });
    const issue = await githubHandlers.tools.create_issue!(
      { owner: 'o', repo: 'r', title: 't' },
      { client: post.client, settings: settings(), signal },
    );
    expect(JSON.parse(JSON.stringify(post.requests[0]!.json))).toEqual({ title: 't' });
    expect(issue).toMatchObject({ number: 5, labels: ['bug'], user: 'ada', is_pull_request: false });
  });

  it('decodes a text file, marks a binary one, lists a directory and bounds a large file', () => {
    const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64');
    expect(contents({ type: 'file', path: 'a', encoding: 'base64', content: b64('línea\n') })).toMatchObject({
      text: 'línea\n',
    });
    expect(
      contents({ type: 'file', path: 'b', encoding: 'base64', content: b64(Buffer.from([0, 1, 2])) }),
    ).toMatchObject({
      binary: true,
    });
    expect(contents({ type: 'file', path: 'c', encoding: 'none', content: '' })).toMatchObject({ too_large: true });
    const long = contents({ type: 'file', path: 'd', encoding: 'base64', content: b64('x'.repeat(300 * 1024)) });
    expect(long).toMatchObject({ text_truncated: true });
    expect((long.text as string).length).toBe(256 * 1024);
    expect(contents([{ name: 'a', path: 'a', type: 'dir', sha: 's', url: 'u' }])).toEqual({
      type: 'dir',
      entries: [{ name: 'a', path: 'a', type: 'dir', sha: 's' }],
    });
  });
});
