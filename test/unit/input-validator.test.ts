import { describe, expect, it } from 'vitest';
import type { AppError } from '../../core/errors.js';
import {
  assertUsableToolSchema,
  assertValidToolInput,
  TOOL_INPUT_MAX_BYTES,
  TOOL_SCHEMA_MAX_BYTES,
} from '../../core/invocations/input-validator.js';

const ref = { tool: 't', server: 's' };
const stringSchema = (s: Record<string, unknown>) => ({ type: 'object', properties: { s: { type: 'string', ...s } } });
const codeOf = (fn: () => void) => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as AppError).code;
  }
};

describe('tool input validation on RE2', () => {
  it('keeps JSON Schema pattern semantics: an unanchored search, JS-style escapes, patternProperties', () => {
    expect(codeOf(() => assertValidToolInput(stringSchema({ pattern: 'b+' }), { s: 'abbc' }, ref))).toBeUndefined();
    expect(
      codeOf(() => assertValidToolInput(stringSchema({ pattern: '^\\u00e9\\d{2}$' }), { s: 'é42' }, ref)),
    ).toBeUndefined();
    expect(codeOf(() => assertValidToolInput(stringSchema({ pattern: '^\\d+$' }), { s: '4a' }, ref))).toBe(
      'invalid_input',
    );
    const props = { type: 'object', patternProperties: { '^x-': { type: 'number' } } };
    expect(codeOf(() => assertValidToolInput(props, { 'x-a': 'no' }, ref))).toBe('invalid_input');
  });

  it('matches a catastrophic-backtracking pattern against a long input in linear time', () => {
    const started = performance.now();
    expect(
      codeOf(() => assertValidToolInput(stringSchema({ pattern: '^(a+)+$' }), { s: `${'a'.repeat(100_000)}!` }, ref)),
    ).toBe('invalid_input');
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('refuses schemas RE2 cannot run or that are too large, naming the tool', () => {
    for (const pattern of ['^(a)\\1$', '(?=a)', '(?<!a)b']) {
      expect(() => assertUsableToolSchema(stringSchema({ pattern }), ref)).toThrow(
        /Tool "t" of MCP server "s" has an input schema Collexa cannot use: a pattern cannot run/,
      );
    }
    const huge = stringSchema({ description: 'x'.repeat(TOOL_SCHEMA_MAX_BYTES) });
    expect(() => assertUsableToolSchema(huge, ref)).toThrow(/larger than/);
  });

  it('refuses input over the size limit and caps the errors it lists', () => {
    expect(codeOf(() => assertValidToolInput(undefined, { s: 'x'.repeat(TOOL_INPUT_MAX_BYTES) }, ref))).toBe(
      'input_too_large',
    );
    const many = { type: 'array', items: { type: 'string' } };
    try {
      assertValidToolInput(
        many,
        Array.from({ length: 100 }, () => 1),
        ref,
      );
      expect.unreachable();
    } catch (err) {
      expect((err as AppError).details).toMatchObject({ more: 80 });
      expect((err as AppError).details.errors).toHaveLength(20);
    }
  });
});
