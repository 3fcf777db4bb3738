import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { toApplicationFailure } from '../../activities/application-failure.js';
import { AppError } from '../../core/errors.js';
import type { ToolCallFailure } from '../../core/invocations/tool-call.js';
import { LlmCallError } from '../../core/llm/llm-errors.js';

const asFailure = (value: unknown) => {
  const f = toApplicationFailure(value);
  expect(f).toBeInstanceOf(ApplicationFailure);
  return f as ApplicationFailure;
};

describe('toApplicationFailure', () => {
  it("retries an LLM provider's rate limit after its Retry-After, and ends its auth and filter failures", () => {
    const limited = asFailure(new LlmCallError('llm_rate_limited', 'slow', { retryAfterSeconds: 12 }));
    expect(limited).toMatchObject({ type: 'llm_rate_limited', nonRetryable: false, nextRetryDelay: 12_000 });
    expect(asFailure(new LlmCallError('llm_rate_limited', 'slow')).nextRetryDelay).toBeUndefined();
    for (const code of ['llm_auth', 'llm_context_length', 'llm_content_filter'] as const)
      expect(asFailure(new LlmCallError(code, 'no')).nonRetryable).toBe(true);
    for (const code of ['llm_unavailable', 'llm_timeout', 'llm_bad_output'] as const)
      expect(asFailure(new LlmCallError(code, 'again')).nonRetryable).toBe(false);
  });

  it('retries a limited call after the wait it names, as a benign failure', () => {
    const f = asFailure({
      kind: 'limited',
      code: 'rate_limited',
      message: 'slow down',
      details: { limit: 'rate' },
      retryAfterMs: 1500,
    } satisfies ToolCallFailure);
    expect(f).toMatchObject({
      type: 'rate_limited',
      nonRetryable: false,
      nextRetryDelay: 1500,
      category: ApplicationFailureCategory.BENIGN,
      details: [{ limit: 'rate' }],
    });
  });

  it('retries a transient failure and ends every other outcome at once', () => {
    expect(asFailure({ kind: 'transient', code: 'connection_lost', message: 'gone', details: {} })).toMatchObject({
      type: 'connection_lost',
      nonRetryable: false,
    });
    const finals: ToolCallFailure[] = [
      { kind: 'tool_error', code: 'tool_error', message: 'boom' },
      { kind: 'pin_violation', code: 'tool_definition_changed', message: 'changed', details: { repin: '/x' } },
      { kind: 'indeterminate', code: 'tool_call_indeterminate', message: 'maybe ran', details: {} },
      { kind: 'too_large', code: 'result_too_large', message: 'big', details: { bytes: 9 } },
      { kind: 'rejected', code: 'invalid_params', message: 'bad' },
    ];
    for (const outcome of finals)
      expect(asFailure(outcome)).toMatchObject({ type: outcome.code, message: outcome.message, nonRetryable: true });
  });

  it('ends a 4xx AppError (a business rejection) and retries a 5xx one (a dependency down)', () => {
    expect(asFailure(new AppError('unknown_secret', 400, 'no such secret', { secrets: ['X'] }))).toMatchObject({
      type: 'unknown_secret',
      nonRetryable: true,
      details: [{ secrets: ['X'] }],
    });
    expect(asFailure(new AppError('not_found', 404, 'gone'))).toMatchObject({ type: 'not_found', nonRetryable: true });
    expect(asFailure(new AppError('vault_unavailable', 503, 'sealed'))).toMatchObject({
      type: 'vault_unavailable',
      nonRetryable: false,
    });
  });

  it('ends a PostgreSQL data error and passes anything else through for Temporal to retry', () => {
    const pg = Object.assign(new Error('invalid byte sequence'), { code: '22021', severity: 'ERROR' });
    expect(asFailure(pg)).toMatchObject({ type: 'invalid_data', nonRetryable: true });
    const lost = new Error('connection terminated');
    expect(toApplicationFailure(lost)).toBe(lost);
    const already = ApplicationFailure.create({ type: 'x', nonRetryable: true });
    expect(toApplicationFailure(already)).toBe(already);
  });
});
