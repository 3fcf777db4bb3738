import { describe, expect, it } from 'vitest';
import { decodeComponent, jsonProblem, textProblem } from '../../core/input/clean-input.js';

const nest = (depth: number): unknown => JSON.parse(`${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`);

describe('clean input', () => {
  it('finds NUL characters and lone surrogates, and keeps surrogate pairs', () => {
    expect(textProblem('a\u0000')).toBe('nul_byte');
    expect(textProblem('\ud800')).toBe('lone_surrogate');
    expect(textProblem('x\udfff')).toBe('lone_surrogate');
    expect(textProblem('\ude00\ud83d')).toBe('lone_surrogate');
    expect(textProblem('🚀 café')).toBeUndefined();
  });

  it('counts depth with the top-level value as 1, and names the path of the first problem', () => {
    expect(jsonProblem(nest(64), 64)).toBeUndefined();
    expect(jsonProblem(nest(65), 64)).toMatchObject({ problem: 'too_deep' });
    expect(jsonProblem({ list: [1, { 'odd key': 'x\u0000' }] }, 64)).toEqual({
      problem: 'nul_byte',
      path: 'list[1]["odd key"]',
    });
    expect(jsonProblem({ ['k\ud800']: 1 }, 64)).toEqual({ problem: 'lone_surrogate', path: '["k\uFFFD"]' });
    expect(jsonProblem('top\u0000', 64)).toEqual({ problem: 'nul_byte', path: '' });
  });

  it('walks a million levels without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`);
    expect(jsonProblem(deep, 64)).toMatchObject({ problem: 'too_deep' });
  });

  it('decodes percent-escapes or says why not', () => {
    expect(decodeComponent('caf%C3%A9')).toEqual({ value: 'café' });
    expect(decodeComponent('%E0%A4%A')).toEqual({ problem: 'malformed_escape' });
    expect(decodeComponent('%ED%A0%80')).toEqual({ problem: 'malformed_escape' });
    expect(decodeComponent('a%00')).toEqual({ problem: 'nul_byte' });
  });
});
