// The checks a sandbox target's OpenAPI description passes (core/sandboxes/targets/spec-document.ts), and
// that every target Collexa ships passes them (shippedSpec trusts them without walking them again).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SHIPPED_TARGETS } from '../../core/sandboxes/targets/shipped-targets.js';
import { parseSpecDocument } from '../../core/sandboxes/targets/spec-document.js';

describe('parseSpecDocument', () => {
  it('accepts every shipped target, as a tenant’s description would be checked', () => {
    for (const [name, target] of Object.entries(SHIPPED_TARGETS)) {
      const spec = parseSpecDocument(JSON.parse(readFileSync(target().file, 'utf8')));
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
});
