// The pure parts of the integrations framework: a server's config schema (built from the spec), the
// vendor error mapping and Retry-After, VendorHttp's error reading against a local server, and the
// `_meta` the platform trusts from an integration's tool error.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integrationConfigSchema } from '../../core/integrations/integration-config.js';
import { objectSchema, SANDBOX_ONLY_BASE_URL, type IntegrationSpec } from '../../core/integrations/integration.js';
import { jsonCredential, requireCredential } from '../../core/integrations/server/credential.js';
import { toolError } from '../../core/integrations/server/tool-output.js';
import { retryAfterSeconds, VendorError } from '../../core/integrations/server/vendor-error.js';
import { VendorHttp } from '../../core/integrations/server/vendor-http.js';
import { vendorErrorOf } from '../../core/mcp/tool-result.js';
import { Redactor } from '../../core/secrets/redact.js';

const spec: IntegrationSpec = {
  name: 'jira',
  title: 'Example',
  description: 'an example',
  api: 'REST',
  securityLevel: 'high',
  credentials: { kind: 'API token', format: '{"email","apiToken"}', docs: 'https://example.invalid' },
  config: {
    baseUrl: { description: 'site', required: false, type: 'url' },
    project: { description: 'project', required: true, type: 'text' },
    readOnly: { description: 'read only', required: false, type: 'boolean' },
  },
  services: ['api'],
  tools: ['get_thing', 'put_thing'].map((name) => ({
    name,
    title: name,
    description: name,
    inputSchema: objectSchema({}),
    annotations: {},
  })),
  sandbox: { target: 'example', credential: 'x', modes: { mock: { api: { kind: 'openapi' } } }, emulators: {} },
  connectedEndpoints: (c) => ({ api: c.baseUrl ?? SANDBOX_ONLY_BASE_URL }),
};

describe('an integration server’s config', () => {
  const schema = integrationConfigSchema(spec);

  it('takes credentials as a secret reference, a subset of its own tools and its own fields', () => {
    const parsed = schema.parse({ credentials: 'secret:JIRA', tools: ['get_thing'], project: 'P', readOnly: false });
    expect(parsed).toEqual({
      credentials: 'secret:JIRA',
      tools: ['get_thing'],
      options: { project: 'P', readOnly: false },
    });
  });

  it.each([
    [{ project: 'P', credentials: 'hunter2' }, 'credentials'],
    [{ project: 'P', tools: ['drop_everything'] }, 'tools'],
    [{ project: 'P', tools: ['get_thing', 'get_thing'] }, 'tools'],
    [{ project: 'P', tools: [] }, 'tools'],
    [{}, 'project'],
    [{ project: 'P', surprise: 1 }, ''],
    [{ project: 'P', baseUrl: 'file:///etc/passwd' }, 'baseUrl'],
    [{ project: 'P\nX-Injected: 1' }, 'project'],
    [{ project: 'P', region: '../../etc' }, 'region'],
  ])('refuses %j (at %s)', (config, at) => {
    const result = schema.safeParse(config);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.')).join(' ')).toContain(at);
  });
});

describe('vendor errors', () => {
  it('reads Retry-After as seconds or an HTTP date, bounded to 15 minutes', () => {
    expect(retryAfterSeconds('7')).toBe(7);
    expect(retryAfterSeconds(new Date(Date.now() + 30_000).toUTCString())).toBeGreaterThanOrEqual(29);
    expect(retryAfterSeconds('999999')).toBe(900);
    expect(retryAfterSeconds('soon')).toBeUndefined();
    expect(retryAfterSeconds(undefined)).toBeUndefined();
  });

  it('turns a vendor error into a tool error carrying status and code, credentials redacted', () => {
    const redactor = new Redactor([{ name: 'credentials', value: 'tok-secret-123' }]);
    const answer = toolError(
      new VendorError('Jira', 401, 'unauthorized', 'bad token tok-secret-123'),
      'Jira',
      redactor,
    );
    expect(answer.isError).toBe(true);
    expect(JSON.stringify(answer)).not.toContain('tok-secret-123');
    expect(vendorErrorOf(answer)).toEqual({ status: 401, code: 'unauthorized' });
  });

  it('trusts only a well-formed vendor status from a tool error’s _meta', () => {
    expect(vendorErrorOf({ _meta: { 'collexa/vendorError': { status: 429, retryAfterSeconds: 1e9 } } })).toEqual({
      status: 429,
      code: 'http_429',
      retryAfterSeconds: 900,
    });
    expect(vendorErrorOf({ _meta: { 'collexa/vendorError': { status: 200 } } })).toBeUndefined();
    expect(vendorErrorOf({ _meta: { 'collexa/vendorError': { status: '500' } } })).toBeUndefined();
    expect(vendorErrorOf({})).toBeUndefined();
  });

  it('names the credential fields a malformed credential lacks, never its value', () => {
    expect(() => jsonCredential('Jira', '{"email":"a@b.c"}', ['email', 'apiToken'])).toThrow(/lacks apiToken/);
    expect(() => jsonCredential('Jira', 'not-json-secret', ['email'])).toThrow(/must be a JSON object/);
    expect(() => jsonCredential('Jira', 'not-json-secret', ['email'])).not.toThrow(/not-json-secret/);
    expect(() => requireCredential('Jira', '')).toThrow(/serves sandboxes only/);
  });
});

describe('VendorHttp', () => {
  let url: string;
  const server = createServer((req, res) => {
    const status = Number(req.url!.slice(1, 4));
    if (status === 429) res.setHeader('retry-after', '3');
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: `E${status}`, detail: `it failed ${status}` }));
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it.each([
    [401, /rejected the credentials \(401\)/],
    [403, /denied the request \(403\)/],
    [404, /no such resource \(404\)/],
    [409, /conflicting change \(409\)/],
    [429, /rate-limited the request \(429\): retry after 3 s/],
    [503, /failed to answer \(503\)/],
  ])('maps %i with the vendor’s own code and words', async (status, meaning) => {
    const http = new VendorHttp({
      vendor: 'Example',
      baseUrl: url,
      headers: { authorization: 'Bearer t' },
      readError: (body) => {
        const b = body as { code: string; detail: string };
        return { code: b.code, message: b.detail };
      },
    });
    const err = await http.request({ path: `/${status}` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VendorError);
    const v = err as VendorError;
    expect(v.status).toBe(status);
    expect(v.code).toBe(`E${status}`);
    expect(v.message).toMatch(meaning);
    expect(v.message).toContain(`it failed ${status}`);
    expect(v.retryAfterSeconds).toBe(status === 429 ? 3 : undefined);
  });

  it.each(['repos/o/r/contents/../../../user/keys', 'a/%2e%2E/b', 'contents/..\\..\\user/keys'])(
    'refuses a path that would climb out of its endpoint: %s',
    async (path) => {
      const http = new VendorHttp({ vendor: 'Example', baseUrl: url, headers: {} });
      await expect(http.request({ path })).rejects.toMatchObject({ status: 400 });
    },
  );

  it('answers an unreachable vendor as a 503 naming it', async () => {
    const http = new VendorHttp({ vendor: 'Example', baseUrl: 'http://127.0.0.1:1', headers: {} });
    await expect(http.request({ path: '/x' })).rejects.toMatchObject({ status: 503, code: 'unreachable' });
  });
});
