import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectEnvelope } from '../helpers/envelope.js';
import { startPlatform } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';

let api: Awaited<ReturnType<typeof startPlatform>>;
let key: string;
beforeAll(async () => {
  api = await startPlatform({ worker: 'none' });
  key = (await createOrg(api.db)).adminKey;
});
afterAll(() => api.stop());

describe('error envelope', () => {
  it('answers malformed JSON with 400 invalid_json', async () => {
    const r = await call(`${api.url}/v1/api-keys`, {
      method: 'POST',
      key,
      headers: { 'content-type': 'application/json' },
      body: '{"role":',
    });
    expectEnvelope(r, 400, 'invalid_json');
  });

  it('answers an oversized body with 413 payload_too_large', async () => {
    const r = await call(`${api.url}/v1/api-keys`, { method: 'POST', key, json: { name: 'x'.repeat(200_000) } });
    expectEnvelope(r, 413, 'payload_too_large');
  });

  it('answers an unknown route with 404 not_found', async () => {
    expectEnvelope(await call(`${api.url}/v1/nothing-here`, { key }), 404, 'not_found');
    expectEnvelope(await call(`${api.url}/nothing`), 404, 'not_found');
  });

  it('answers a schema violation with 400 validation_error listing each issue', async () => {
    const r = await call(`${api.url}/v1/api-keys`, { method: 'POST', key, json: { role: 'emperor', extra: 1 } });
    expectEnvelope(r, 400, 'validation_error');
    const paths = r.json.error.details.issues.map((i: { path: string }) => i.path);
    expect(paths).toContain('role');
  });

  it('answers a malformed id with 404, not 500', async () => {
    expectEnvelope(await call(`${api.url}/v1/api-keys/not-a-uuid`, { method: 'DELETE', key }), 404, 'not_found');
  });

  it('keeps an inbound request id and echoes it', async () => {
    const r = await call(`${api.url}/healthz`, { headers: { 'x-request-id': 'trace-abc-123' } });
    expect(r.headers.get('x-request-id')).toBe('trace-abc-123');
  });
});
