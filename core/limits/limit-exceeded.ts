import { AppError } from '../errors.js';
import type { EffectiveLimits } from './defaults.js';

/** Which limit refused or ended a call: a key of the server's limits, or its open circuit breaker. */
export type LimitName =
  Exclude<keyof EffectiveLimits, 'memoryMb' | 'cpuSeconds' | 'maxProcesses' | 'maxOpenFiles'> | 'deniedRatePerSecond';

/**
 * A call refused (or ended) by one of its MCP server's execution limits. The message names the limit and
 * its value; `retryAfterMs` is set when waiting helps (rate, concurrency, open breaker).
 */
export class LimitExceeded extends Error {
  readonly limit: LimitName;
  readonly value: number;
  readonly serverName: string;
  readonly retryAfterMs: number | undefined;

  constructor(opts: { limit: LimitName; value: number; serverName: string; message: string; retryAfterMs?: number }) {
    super(opts.message);
    this.name = 'LimitExceeded';
    this.limit = opts.limit;
    this.value = opts.value;
    this.serverName = opts.serverName;
    this.retryAfterMs = opts.retryAfterMs === undefined ? undefined : Math.max(0, Math.ceil(opts.retryAfterMs));
  }

  /** The error code (ApplicationFailure type, API error code) for this limit. */
  get code(): 'rate_limited' | 'concurrency_limited' | 'circuit_open' | 'timeout' | 'result_too_large' {
    switch (this.limit) {
      case 'ratePerSecond':
      case 'orgRatePerSecond':
      case 'deniedRatePerSecond':
        return 'rate_limited';
      case 'maxConcurrency':
        return 'concurrency_limited';
      case 'breakerThreshold':
      case 'breakerCooldownMs':
        return 'circuit_open';
      case 'timeoutMs':
        return 'timeout';
      case 'maxResultBytes':
        return 'result_too_large';
    }
  }

  /** As the API answers it: 429 for rates, 503 for an open breaker or a full server, with Retry-After. */
  toAppError(): AppError {
    const status =
      this.code === 'rate_limited'
        ? 429
        : this.code === 'circuit_open' || this.code === 'concurrency_limited'
          ? 503
          : 502;
    const headers: Record<string, string> =
      this.retryAfterMs === undefined ? {} : { 'Retry-After': String(this.retryAfterSeconds) };
    return new AppError(this.code, status, this.message, this.toDetails(), headers);
  }

  /** Whole seconds for a Retry-After header: at least 1. */
  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((this.retryAfterMs ?? 0) / 1000));
  }

  /** The limit as API error details and audit data. */
  toDetails(): Record<string, unknown> {
    return {
      limit: this.limit,
      value: this.value,
      server: this.serverName,
      ...(this.retryAfterMs === undefined
        ? {}
        : { retryAfterMs: this.retryAfterMs, retryAfterSeconds: this.retryAfterSeconds }),
    };
  }

  static rate(serverName: string, ratePerSecond: number, retryAfterMs: number): LimitExceeded {
    return new LimitExceeded({
      limit: 'ratePerSecond',
      value: ratePerSecond,
      serverName,
      retryAfterMs,
      message: `rate limit of ${ratePerSecond} calls/s for MCP server ${serverName} exceeded (ratePerSecond)`,
    });
  }

  static orgRate(serverName: string, orgRatePerSecond: number, retryAfterMs: number): LimitExceeded {
    return new LimitExceeded({
      limit: 'orgRatePerSecond',
      value: orgRatePerSecond,
      serverName,
      retryAfterMs,
      message: `org rate limit of ${orgRatePerSecond} calls/s exceeded (orgRatePerSecond of MCP server ${serverName}: the org's calls to all its servers)`,
    });
  }

  static deniedRate(serverName: string, ratePerSecond: number, retryAfterMs: number): LimitExceeded {
    return new LimitExceeded({
      limit: 'deniedRatePerSecond',
      value: ratePerSecond,
      serverName,
      retryAfterMs,
      message: `rate limit of ${ratePerSecond} denied invocations/s for this API key exceeded (deniedRatePerSecond): policy does not allow this key this capability`,
    });
  }

  static concurrency(serverName: string, maxConcurrency: number, retryAfterMs: number): LimitExceeded {
    return new LimitExceeded({
      limit: 'maxConcurrency',
      value: maxConcurrency,
      serverName,
      retryAfterMs,
      message: `concurrency limit of ${maxConcurrency} call${maxConcurrency === 1 ? '' : 's'} at a time for MCP server ${serverName} reached (maxConcurrency)`,
    });
  }

  static circuitOpen(
    serverName: string,
    breakerThreshold: number,
    retryAfterMs: number,
    halfOpen: boolean,
  ): LimitExceeded {
    const why = halfOpen
      ? 'is half-open: a probe call is testing the server'
      : `is open after ${breakerThreshold} consecutive failures`;
    return new LimitExceeded({
      limit: 'breakerThreshold',
      value: breakerThreshold,
      serverName,
      retryAfterMs,
      message: `circuit breaker of MCP server ${serverName} ${why} (breakerThreshold)`,
    });
  }

  static timeout(serverName: string, tool: string, timeoutMs: number): LimitExceeded {
    return new LimitExceeded({
      limit: 'timeoutMs',
      value: timeoutMs,
      serverName,
      message: `MCP server ${serverName} did not answer ${tool} within its timeout limit of ${timeoutMs} ms (timeoutMs)`,
    });
  }

  static resultSize(serverName: string, tool: string, maxResultBytes: number, bytes: number): LimitExceeded {
    return new LimitExceeded({
      limit: 'maxResultBytes',
      value: maxResultBytes,
      serverName,
      message: `result of ${tool} is ${bytes} bytes, over the limit of ${maxResultBytes} bytes for MCP server ${serverName} (maxResultBytes)`,
    });
  }
}

/** The size a result is held to: the JSON bytes of its content and structuredContent. */
export function resultBytes(result: { content?: unknown; structuredContent?: unknown }): number {
  return Buffer.byteLength(
    JSON.stringify({ content: result.content ?? [], structuredContent: result.structuredContent ?? null }),
    'utf8',
  );
}
