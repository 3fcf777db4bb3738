import { expect } from 'vitest';
import type { call } from './stack.js';

/** Asserts the one error envelope: status, JSON, `{error: {code, message, details}}`, a request id and no internals. */
export function expectEnvelope(r: Awaited<ReturnType<typeof call>>, status: number, code: string) {
  expect(r.status, r.text).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/application\/json/);
  expect(r.text).not.toMatch(/<html|<pre>|at .*\.ts:\d+/i);
  expect(r.json.error.code).toBe(code);
  expect(typeof r.json.error.message).toBe('string');
  expect(r.json.error.details).toBeTypeOf('object');
  expect(r.headers.get('x-request-id')).toBeTruthy();
}
