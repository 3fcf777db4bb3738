// Input that must never reach PostgreSQL or a workflow, over real HTTP: every case here answered 500
// (or a bare parser status line) before the one validation layer (api/middleware/input-guard.ts).
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_JSON_MAX_DEPTH } from '../../core/input/clean-input.js';
import { expectEnvelope } from '../helpers/envelope.js';
import { rawHttp } from '../helpers/raw-http.js';
import { startPlatform } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';
import { PARAM_ROUTES } from '../helpers/api-routes.js';

let api: Awaited<ReturnType<typeof startPlatform>>;
let key: string;
beforeAll(async () => {
  api = await startPlatform({ worker: 'none' });
  key = (await createOrg(api.db, 'input-guard')).adminKey;
});
afterAll(() => api.stop());

/** A request with a raw (not re-serialised) JSON body. */
const send = (method: string, path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
  call(`${api.url}${path}`, { method, key, headers: { 'content-type': 'application/json', ...headers }, body });
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const SERVER = '00000000-0000-4000-8000-000000000000';

describe('NUL characters', () => {
  it('refuses a NUL in a JSON string or key with 400 invalid_text naming where it is', async () => {
    const r = await send('POST', '/v1/api-keys', '{"name":"ci\\u0000"}');
    expectEnvelope(r, 400, 'invalid_text');
    expect(r.json.error.details).toEqual({ where: 'body', path: 'name', reason: 'nul_byte' });
    const inKey = await send('PATCH', '/v1/org', '{"settings":{"a\\u0000":1}}');
    expectEnvelope(inKey, 400, 'invalid_text');
    expect(inKey.json.error.details.path).toBe('settings["a\uFFFD"]');
  });

  it('refuses a NUL in a query value, a path parameter and a header value', async () => {
    const query = await call(`${api.url}/v1/tools?query=a%00b`, { key });
    expectEnvelope(query, 400, 'invalid_text');
    expect(query.json.error.details).toMatchObject({ where: 'query', path: 'query' });
    const param = await call(`${api.url}/v1/mcp-servers/${SERVER}/tools/a%00b`, {
      method: 'PATCH',
      key,
      json: { tags: ['x'] },
    });
    expectEnvelope(param, 400, 'invalid_text');
    expect(param.json.error.details).toMatchObject({ where: 'path', reason: 'nul_byte' });
    // fetch will not send it; Node's parser refuses it, and the refusal is the same envelope.
    const header = await rawHttp(
      api.url,
      `GET /v1/me HTTP/1.1\r\nAuthorization: Bearer ${key}\r\nIdempotency-Key: a\u0000b`,
    );
    expect(header.status).toBe(400);
    expect(header.json).toMatchObject({ error: { code: 'bad_request', details: {} } });
  });
});

describe('lone UTF-16 surrogates', () => {
  it('refuses a lone high or low surrogate and keeps a real pair', async () => {
    expectEnvelope(await send('POST', '/v1/api-keys', '{"name":"x\\ud800"}'), 400, 'invalid_text');
    const low = await send('PATCH', '/v1/org', '{"name":"\\udc00y"}');
    expectEnvelope(low, 400, 'invalid_text');
    expect(low.json.error.details).toEqual({ where: 'body', path: 'name', reason: 'lone_surrogate' });
    const pair = await send('POST', '/v1/api-keys', '{"name":"ci \\ud83d\\ude80"}');
    expect(pair.status, pair.text).toBe(201);
    const listed = await call(`${api.url}/v1/api-keys`, { key });
    expect(listed.json.data.map((k: { name: string }) => k.name)).toContain('ci 🚀');
  });
});

describe('JSON depth', () => {
  it(`takes ${DEFAULT_JSON_MAX_DEPTH} levels and refuses one more with 400 json_too_deep`, async () => {
    // At the limit the body passes the guard and the route's own schema answers.
    expectEnvelope(
      await send('POST', '/v1/api-keys', `{"name":${nested(DEFAULT_JSON_MAX_DEPTH - 1)}}`),
      400,
      'validation_error',
    );
    const over = await send('POST', '/v1/api-keys', `{"name":${nested(DEFAULT_JSON_MAX_DEPTH)}}`);
    expectEnvelope(over, 400, 'json_too_deep');
    expect(over.json.error.details).toMatchObject({ where: 'body', limit: DEFAULT_JSON_MAX_DEPTH });
  });

  it('refuses 40,000 levels quickly, without overflowing the stack, where the body is stored as JSON', async () => {
    const started = Date.now();
    const r = await send('PATCH', '/v1/org', `{"settings":{"approval_required_from":${nested(40_000)}}}`);
    expectEnvelope(r, 400, 'json_too_deep');
    expect(Date.now() - started).toBeLessThan(1000);
    const approval = await send(
      'POST',
      '/v1/approvals',
      `{"subjectType":"deep","subjectId":"x","context":{"a":${nested(5000)}}}`,
    );
    expectEnvelope(approval, 400, 'json_too_deep');
  });
});

describe('percent-escapes in path parameters', () => {
  it.each(PARAM_ROUTES.map((r) => [r.method, r.path] as const))(
    '%s %s answers a malformed percent-escape with 400 invalid_escape',
    async (method, path) => {
      const url = path.replace(/:[A-Za-z]+/g, '%E0%A4%A');
      const r = await call(`${api.url}${url}`, {
        method,
        key,
        ...(method === 'GET' || method === 'DELETE' ? {} : { json: {} }),
      });
      expectEnvelope(r, 400, 'invalid_escape');
      expect(r.json.error.details).toMatchObject({ where: 'path', reason: 'malformed_escape' });
    },
  );

  it('refuses invalid UTF-8 and encoded surrogates, and decodes good escapes as before', async () => {
    expectEnvelope(await call(`${api.url}/v1/agents/%FF`, { key }), 400, 'invalid_escape');
    expectEnvelope(await call(`${api.url}/v1/agents/%ED%A0%80`, { key }), 400, 'invalid_escape');
    expectEnvelope(await call(`${api.url}/v1/secrets/caf%C3%A9`, { key }), 404, 'not_found');
  });
});

describe('Content-Encoding', () => {
  it.each(['gzip', 'br', 'deflate'])(
    'answers a %s-labelled plain body with 415 unsupported_encoding',
    async (encoding) => {
      expectEnvelope(
        await send('POST', '/v1/api-keys', '{"name":"x"}', { 'content-encoding': encoding }),
        415,
        'unsupported_encoding',
      );
    },
  );

  it('refuses a really gzipped body too (bodies are never inflated)', async () => {
    expectEnvelope(
      await send('POST', '/v1/api-keys', gzipSync('{"name":"x"}'), { 'content-encoding': 'gzip' }),
      415,
      'unsupported_encoding',
    );
  });
});
