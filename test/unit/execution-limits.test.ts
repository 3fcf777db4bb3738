import { describe, expect, it } from 'vitest';
import { breakerRetryAt, breakerWaitMs, type BreakerRow } from '../../core/limits/circuit-breaker.js';
import { effectiveLimits, LIMIT_DEFAULTS } from '../../core/limits/defaults.js';
import { LimitExceeded, resultBytes } from '../../core/limits/limit-exceeded.js';
import { gcra } from '../../core/limits/rate-limiter.js';

describe('effectiveLimits', () => {
  it("fills unset limits from the server's security level", () => {
    expect(effectiveLimits({ security_level: 'critical', limits: {} })).toEqual(LIMIT_DEFAULTS.critical);
    expect(effectiveLimits({ security_level: 'low', limits: { maxConcurrency: 3 } })).toEqual({
      ...LIMIT_DEFAULTS.low,
      maxConcurrency: 3,
    });
  });

  it('runs tighter the higher the level', () => {
    const order = (['low', 'medium', 'high', 'critical'] as const).map((l) => LIMIT_DEFAULTS[l]);
    for (let i = 1; i < order.length; i++) {
      expect(order[i]!.ratePerSecond).toBeLessThanOrEqual(order[i - 1]!.ratePerSecond);
      expect(order[i]!.maxConcurrency).toBeLessThanOrEqual(order[i - 1]!.maxConcurrency);
      expect(order[i]!.maxResultBytes).toBeLessThanOrEqual(order[i - 1]!.maxResultBytes);
      expect(order[i]!.breakerThreshold).toBeLessThanOrEqual(order[i - 1]!.breakerThreshold);
    }
  });

  it("lets MCP_CALL_TIMEOUT_MS lower the level's default timeout but never the server's own", () => {
    expect(effectiveLimits({ security_level: 'low', limits: {} }, { timeoutCapMs: 3000 }).timeoutMs).toBe(3000);
    expect(
      effectiveLimits({ security_level: 'low', limits: { timeoutMs: 90_000 } }, { timeoutCapMs: 3000 }).timeoutMs,
    ).toBe(90_000);
  });

  it('gives an unknown level the tightest defaults', () => {
    expect(effectiveLimits({ security_level: 'bogus' as never, limits: {} })).toEqual(LIMIT_DEFAULTS.critical);
  });
});

describe('LimitExceeded', () => {
  it('names the limit and its value in the message', () => {
    expect(LimitExceeded.rate('billing', 5, 200).message).toBe(
      'rate limit of 5 calls/s for MCP server billing exceeded (ratePerSecond)',
    );
    expect(LimitExceeded.concurrency('billing', 1, 1000).message).toContain(
      'concurrency limit of 1 call at a time for MCP server billing',
    );
    expect(LimitExceeded.timeout('billing', 'refund', 500).message).toContain('timeout limit of 500 ms');
    expect(LimitExceeded.resultSize('billing', 'export', 1024, 4096).message).toContain(
      '4096 bytes, over the limit of 1024 bytes',
    );
    expect(LimitExceeded.circuitOpen('billing', 3, 1000, false).message).toContain(
      'is open after 3 consecutive failures',
    );
  });

  it('answers a rate limit as 429 and an open breaker as 503, each with Retry-After in whole seconds', () => {
    const rate = LimitExceeded.rate('billing', 5, 200).toAppError();
    expect([rate.code, rate.httpStatus, rate.headers]).toEqual(['rate_limited', 429, { 'Retry-After': '1' }]);
    expect(rate.details).toMatchObject({ limit: 'ratePerSecond', value: 5, server: 'billing', retryAfterSeconds: 1 });
    const open = LimitExceeded.circuitOpen('billing', 3, 29_001, false).toAppError();
    expect([open.code, open.httpStatus, open.headers]).toEqual(['circuit_open', 503, { 'Retry-After': '30' }]);
  });

  it('maps every limit to the code activities fail with', () => {
    expect(LimitExceeded.orgRate('b', 1, 1).code).toBe('rate_limited');
    expect(LimitExceeded.timeout('b', 't', 1).code).toBe('timeout');
    expect(LimitExceeded.resultSize('b', 't', 1, 2).code).toBe('result_too_large');
  });
});

describe('resultBytes', () => {
  it('counts the UTF-8 JSON bytes of content and structuredContent', () => {
    const small = resultBytes({ content: [{ type: 'text', text: 'hi' }] });
    expect(resultBytes({ content: [{ type: 'text', text: 'hé' }] })).toBe(small + 1);
    expect(resultBytes({ content: [], structuredContent: { text: 'x'.repeat(1000) } })).toBeGreaterThan(1000);
  });
});

describe('gcra', () => {
  it('allows one second of calls as a burst, and at least one', () => {
    expect(gcra(5)).toEqual({ intervalMs: 200, windowMs: 1000 });
    expect(gcra(0.5)).toEqual({ intervalMs: 2000, windowMs: 2000 });
  });
});

describe('breaker timing', () => {
  const settings = { breakerThreshold: 3, breakerCooldownMs: 30_000, probeLeaseMs: 70_000 };
  const at = new Date('2026-01-01T00:00:00Z');
  const row = (over: Partial<BreakerRow>): BreakerRow => ({
    state: 'closed',
    consecutive_failures: 0,
    opened_at: null,
    probe_started_at: null,
    ...over,
  });

  it('lets calls through a closed breaker', () => {
    expect(breakerRetryAt(row({ consecutive_failures: 2 }), settings)).toBeNull();
    expect(breakerWaitMs(row({}), settings, at)).toBe(0);
  });

  it('holds calls for the cooldown after opening, then lets a probe through', () => {
    const open = row({ state: 'open', consecutive_failures: 3, opened_at: at });
    expect(breakerRetryAt(open, settings)).toEqual(new Date(at.getTime() + 30_000));
    expect(breakerWaitMs(open, settings, new Date(at.getTime() + 10_000))).toBe(20_000);
    expect(breakerWaitMs(open, settings, new Date(at.getTime() + 31_000))).toBe(0);
  });

  it('holds calls while a probe runs, until its lease lapses', () => {
    const probing = row({ state: 'half_open', opened_at: at, probe_started_at: at });
    expect(breakerWaitMs(probing, settings, new Date(at.getTime() + 1000))).toBe(69_000);
    expect(breakerWaitMs(probing, settings, new Date(at.getTime() + 70_000))).toBe(0);
  });
});
