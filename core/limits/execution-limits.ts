import type { Knex } from 'knex';
import type { Logger } from '../log.js';
import type { McpFailureKind } from '../mcp/call-error.js';
import { InvocationRepository } from '../db/invocation.repository.js';
import type { McpServerRow } from '../db/rows.js';
import {
  BREAKER_FAILURE_KINDS,
  type VendorFailure,
  breakerRetryAt,
  breakerWaitMs,
  CircuitBreakers,
  type BreakerSettings,
  type BreakerState,
} from './circuit-breaker.js';
import { ConcurrencyLimiter, type Lease } from './concurrency-limiter.js';
import type { EffectiveLimits } from './defaults.js';
import { LimitExceeded } from './limit-exceeded.js';
import { RateLimiter } from './rate-limiter.js';

/** How long the API's rate tokens stand for the invocation's first call: a later call takes its own. */
export const ADMISSION_TTL_MS = 2000;
/** How long a call waits in the worker for a concurrency slot before Temporal retries it later. */
export const SLOT_WAIT_MS = 5000;
// A slot or probe outlives its call's timeout by this much (the pin check's tools/list comes first).
const LEASE_MARGIN_MS = 60_000;
// The API's Retry-After while a probe is running: it usually ends well before its lease does.
const HALF_OPEN_RETRY_MS = 5000;

type Server = Pick<McpServerRow, 'id' | 'org_id' | 'name'>;
/** What a call's outcome says about the server: it answered (even with a tool error), or it failed so. */
export type CallOutcome = 'answered' | McpFailureKind | VendorFailure;

/** A call admitted by every limit; `release` it in a finally, with its outcome once known. */
export interface CallPermit {
  readonly probe: boolean;
  /** Frees the slot and feeds the breaker; never throws (a failure here must not mask the call's own). */
  release(outcome?: CallOutcome): Promise<{ breaker?: 'opened' | 'closed' }>;
}

/** The breaker as GET /v1/mcp-servers/:id shows it. */
export interface BreakerView {
  state: BreakerState;
  consecutiveFailures: number;
  openedAt: string | null;
  retryAt: string | null;
}

/**
 * Execution limits of MCP servers, held across every API and worker process in PostgreSQL: the API's
 * admission (breaker, then rate buckets) before it starts an invocation, and the worker's permit
 * (breaker → server rate → org rate → concurrency slot) around each call. Refusals are LimitExceeded.
 */
export class ExecutionLimits {
  readonly rates: RateLimiter;
  readonly slots: ConcurrencyLimiter;
  readonly breakers: CircuitBreakers;

  constructor(
    private readonly db: Knex,
    private readonly logger?: Logger,
  ) {
    this.rates = new RateLimiter(db);
    this.slots = new ConcurrencyLimiter(db);
    this.breakers = new CircuitBreakers(db);
  }

  /** API: refuses when the breaker is open, else takes the call's rate tokens (server, then org). */
  async admitRequest(server: Server, limits: EffectiveLimits): Promise<void> {
    const { row, now } = await this.breakers.read(server.id);
    const wait = breakerWaitMs(row, breakerSettings(limits), now);
    if (wait > 0)
      throw LimitExceeded.circuitOpen(
        server.name,
        limits.breakerThreshold,
        row.state === 'half_open' ? Math.min(wait, HALF_OPEN_RETRY_MS) : wait,
        row.state === 'half_open',
      );
    await this.takeRates(server, limits);
  }

  /** Worker: true once for an invocation whose rate tokens the API took moments ago (then the call takes none). */
  async claimAdmission(invocationId: string): Promise<boolean> {
    return new InvocationRepository(this.db).takeRateAdmission(invocationId, ADMISSION_TTL_MS);
  }

  /**
   * Worker: gives back the rate tokens the API took for an invocation that will make no call (policy denied
   * it). Once only: the flag is cleared by the same statement that finds it, so a retried step refunds nothing.
   */
  async refundAdmission(invocationId: string, server: Server, limits: EffectiveLimits): Promise<void> {
    if (await new InvocationRepository(this.db).takeRateAdmission(invocationId)) await this.refundRates(server, limits);
  }

  /** Worker: admits one call or throws LimitExceeded; waits up to `slotWaitMs` for a concurrency slot. */
  async acquire(
    server: Server,
    limits: EffectiveLimits,
    opts: { rateAdmitted: boolean; signal?: AbortSignal; slotWaitMs?: number },
  ): Promise<CallPermit> {
    const settings = breakerSettings(limits);
    const gate = await this.breakers.admit(server.id, settings);
    if (!gate.allowed)
      throw LimitExceeded.circuitOpen(
        server.name,
        limits.breakerThreshold,
        gate.waitMs,
        gate.row.state === 'half_open',
      );
    const undo: (() => Promise<void>)[] = gate.probe ? [() => this.breakers.releaseProbe(server.id)] : [];
    try {
      if (!opts.rateAdmitted) {
        await this.takeRates(server, limits);
        undo.push(() => this.refundRates(server, limits));
      }
      const lease = await this.waitForSlot(server, limits, opts.slotWaitMs ?? SLOT_WAIT_MS, opts.signal);
      return this.permit(server, limits, lease, gate.probe);
    } catch (err) {
      for (const step of undo)
        await step().catch((e: unknown) =>
          this.logger?.warn({ err: e, mcpServer: server.name }, 'could not undo a limit step'),
        );
      throw err;
    }
  }

  /** The breaker of a server as the API shows it. */
  async breakerView(server: Server, limits: EffectiveLimits): Promise<BreakerView> {
    const { row } = await this.breakers.read(server.id);
    const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
    return {
      state: row.state,
      consecutiveFailures: row.consecutive_failures,
      openedAt: iso(row.opened_at),
      retryAt: iso(breakerRetryAt(row, breakerSettings(limits))),
    };
  }

  private async takeRates(server: Server, limits: EffectiveLimits): Promise<void> {
    const own = await this.rates.take('server', server.id, limits.ratePerSecond);
    if (!own.granted) throw LimitExceeded.rate(server.name, limits.ratePerSecond, own.retryAfterMs);
    const org = await this.rates.take('org', server.org_id, limits.orgRatePerSecond);
    if (!org.granted) {
      await this.rates.refund('server', server.id, limits.ratePerSecond);
      throw LimitExceeded.orgRate(server.name, limits.orgRatePerSecond, org.retryAfterMs);
    }
  }

  private async refundRates(server: Server, limits: EffectiveLimits): Promise<void> {
    await this.rates.refund('server', server.id, limits.ratePerSecond);
    await this.rates.refund('org', server.org_id, limits.orgRatePerSecond);
  }

  private async waitForSlot(
    server: Server,
    limits: EffectiveLimits,
    waitMs: number,
    signal?: AbortSignal,
  ): Promise<Lease> {
    const deadline = Date.now() + waitMs;
    for (let delay = 25; ; delay = Math.min(delay * 2, 250)) {
      signal?.throwIfAborted();
      const lease = await this.slots.tryAcquire(server.id, limits.maxConcurrency, limits.timeoutMs + LEASE_MARGIN_MS);
      if (lease) return lease;
      if (Date.now() + delay > deadline) throw LimitExceeded.concurrency(server.name, limits.maxConcurrency, 1000);
      await sleep(delay, signal);
    }
  }

  private permit(server: Server, limits: EffectiveLimits, lease: Lease, probe: boolean): CallPermit {
    let released = false;
    return {
      probe,
      release: async (outcome) => {
        if (released) return {};
        released = true;
        let breaker: 'opened' | 'closed' | undefined;
        try {
          if (outcome === 'answered' || (outcome && !BREAKER_FAILURE_KINDS.has(outcome))) {
            if (await this.breakers.recordSuccess(server.id)) breaker = 'closed';
          } else if (outcome) {
            if ((await this.breakers.recordFailure(server.id, limits.breakerThreshold)).opened) breaker = 'opened';
          } else if (probe) {
            await this.breakers.releaseProbe(server.id);
          }
        } catch (err) {
          this.logger?.warn({ err, mcpServer: server.name }, 'could not record the call in the circuit breaker');
        }
        await this.slots
          .release(lease)
          .catch((err: unknown) =>
            this.logger?.warn({ err, mcpServer: server.name }, 'could not release a concurrency slot (it expires)'),
          );
        return breaker ? { breaker } : {};
      },
    };
  }
}

export function breakerSettings(limits: EffectiveLimits): BreakerSettings {
  return {
    breakerThreshold: limits.breakerThreshold,
    breakerCooldownMs: limits.breakerCooldownMs,
    probeLeaseMs: limits.timeoutMs + LEASE_MARGIN_MS,
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
