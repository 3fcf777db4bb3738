// The checks a sandbox target's OpenAPI description passes (core/sandboxes/targets/spec-document.ts), and
// that every target Collexa ships passes them (shippedSpec trusts them without walking them again).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SHIPPED_TARGETS } from '../../core/sandboxes/targets/shipped-targets.js';
import { parseSpecDocument } from '../../core/sandboxes/targets/spec-document.js';
import { AppError } from '../../core/errors.js';

describe('parseSpecDocument', () => {
  it('accepts every shipped target, as a tenant’s description would be checked', () => {
    for (const [name, target] of Object.entries(SHIPPED_TARGETS)) {
      const file = target().file;
      if (file === null) continue; // a target no description stands for (AWS on moto)
      const spec = parseSpecDocument(JSON.parse(readFileSync(file, 'utf8')));
      expect(spec.operations, name).toBeGreaterThan(0);
      expect(spec.title, name).not.toBe('');
    }
  });

  it('refuses a document nested deeper than it walks, without recursing', () => {
    let deep: Record<string, unknown> = {};
    const root = { openapi: '3.0.0', info: { title: 't' }, paths: { '/a': { get: deep } } };
    for (let i = 0; i < 500; i++) deep = (deep.x = {}) as Record<string, unknown>;
    expect(() => parseSpecDocument(root)).toThrow(/nests deeper/);
  });

  const mini = (schemas: unknown) => ({
    openapi: '3.0.3',
    info: { title: 't' },
    paths: { '/a': { get: { responses: { '200': { description: 'ok' } } } } },
    components: { schemas },
  });

  it('refuses a $ref to a URL or another file, saying where it is and what it names', () => {
    for (const ref of ['https://example.com/schemas.json#/Pet', './pet.yaml', '/etc/passwd', 'pet.json#/Pet']) {
      const err = (() => {
        try {
          parseSpecDocument(mini({ Pet: { properties: { b: { $ref: ref } } } }));
        } catch (e) {
          return e as AppError;
        }
      })();
      expect(err, ref).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ code: 'invalid_spec', httpStatus: 400 });
      expect(err!.message).toContain('#/components/schemas/Pet/properties/b');
      expect(err!.message).toContain(JSON.stringify(ref));
    }
  });

  it('accepts a property merely named $ref', () => {
    expect(() => parseSpecDocument(mini({ Odd: { properties: { $ref: { type: 'string' } } } }))).not.toThrow();
  });
});
