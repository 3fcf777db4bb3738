import type { Knex } from 'knex';
import { AuditRepository, type NewAuditEvent } from '../db/audit.repository.js';
import { InvocationContextRepository } from '../db/invocation-context.repository.js';
import { InvocationRepository } from '../db/invocation.repository.js';
import { SandboxRepository } from '../db/sandbox.repository.js';
import type { CapabilityRow, InvocationRow, McpServerRow } from '../db/rows.js';
import { effectiveLimits, type EffectiveLimits } from '../limits/defaults.js';
import { ExecutionLimits, type CallOutcome, type CallPermit } from '../limits/execution-limits.js';
import { LimitExceeded, resultBytes } from '../limits/limit-exceeded.js';
import type { Logger } from '../log.js';
import { McpCallError, type McpClientPool, type McpServerConfig } from '../mcp/client-pool.js';
import { resolvedServerConfig } from '../mcp/server-config.js';
import { platformMetrics } from '../metrics/platform-metrics.js';
import { toolDefinitionHash } from '../mcp/tool-pin.js';
import { toolResultText, vendorErrorOf } from '../mcp/tool-result.js';
import { isIntegrationName } from '../integrations/integration.js';
import { boundedText, Redactor } from '../secrets/redact.js';
import type { SecretReader } from '../secrets/vault.js';
import type { InvocationRecords } from './invocation-records.js';
import { ProgressRecorder } from './progress-recorder.js';

/** How a tool call ended. Every kind but `succeeded` names the failure type the invocation records. */
export type ToolCallOutcome =
  | { kind: 'succeeded' }
  /** The tool answered isError: final. */
  | { kind: 'tool_error'; code: 'tool_error'; message: string }
  /** A server limit held the call back (rate, concurrency, open breaker): retried once the wait passes. */
  | { kind: 'limited'; code: string; message: string; details: Record<string, unknown>; retryAfterMs?: number }
  /** The server no longer serves the definition the capability was pinned to: final until an admin repins. */
  | { kind: 'pin_violation'; code: 'tool_definition_changed'; message: string; details: Record<string, unknown> }
  /** The call never reached the server, or the tool is safe to repeat: retried. */
  | { kind: 'transient'; code: string; message: string; details: Record<string, unknown> }
  /** The call may have run and the tool is not safe to repeat: final. */
  | { kind: 'indeterminate'; code: 'tool_call_indeterminate'; message: string; details: Record<string, unknown> }
  /** The result exceeds the server's maxResultBytes: final. */
  | { kind: 'too_large'; code: string; message: string; details: Record<string, unknown> }
  /** The call cannot be made as asked (invalid params, the capability is gone): final. */
  | { kind: 'rejected'; code: string; message: string; details?: Record<string, unknown> };

export type ToolCallFailure = Exclude<ToolCallOutcome, { kind: 'succeeded' }>;
export const TOOL_CALL_FAILURE_KINDS: ReadonlySet<string> = new Set([
  'tool_error',
  'limited',
  'pin_violation',
  'transient',
  'indeterminate',
  'too_large',
  'rejected',
]);

export interface ToolCallDeps {
  db: Knex;
  logger: Logger;
  mcp: McpClientPool;
  vault?: SecretReader;
  /** Per-call timeout cap of MCP tools/call (MCP_CALL_TIMEOUT_MS). */
  toolTimeoutMs?: number;
  /** How old a server's cached tools/list may be when a call checks its pin (MCP_CATALOG_MAX_AGE_MS). */
  catalogMaxAgeMs?: number;
}

/** One attempt as the runtime gives it: its number and the signal that cancels it. */
export interface ToolCallAttempt {
  attempt: number;
  signal?: AbortSignal;
}

const DEFAULT_CATALOG_MAX_AGE_MS = 5_000;
// A vendor's 429 that named no wait.
const DEFAULT_VENDOR_RETRY_S = 5;

/** The capability's call of one invocation, with everything it needs to judge and record its outcome. */
interface Call {
  inv: InvocationRow;
  cap: CapabilityRow;
  server: McpServerRow;
  limits: EffectiveLimits;
  base: Omit<NewAuditEvent, 'action' | 'data'>;
  attempt: number;
}

/** A tool its server declares safe to call again: read-only or idempotent (annotations from its pinned definition). */
function safeToRetry(cap: CapabilityRow): boolean {
  const annotations = (cap.tool_definition.annotations ?? {}) as Record<string, unknown>;
  return annotations.readOnlyHint === true || annotations.idempotentHint === true;
}

/**
 * The hot path: calls a capability's MCP tool with the invocation id as idempotency key, and on success
 * records the result and the succeeded state in the same step. The server's execution limits come first
 * (breaker, rate, concurrency) and bound the call (timeout, result size); the pin comes before the call.
 * Retry rules: failures before the request reached the server are transient; after that, only for tools
 * annotated readOnly or idempotent. Every outcome is audited here; the activity only maps it for Temporal.
 */
export class ToolCalls {
  private readonly contexts: InvocationContextRepository;
  private readonly sandboxes: SandboxRepository;
  private readonly invocations: InvocationRepository;
  private readonly audit: AuditRepository;
  private readonly limits: ExecutionLimits;
  private readonly records: InvocationRecords;

  constructor(private readonly deps: ToolCallDeps & { records: InvocationRecords }) {
    this.contexts = new InvocationContextRepository(deps.db);
    this.sandboxes = new SandboxRepository(deps.db);
    this.invocations = new InvocationRepository(deps.db);
    this.audit = new AuditRepository(deps.db);
    this.limits = new ExecutionLimits(deps.db, deps.logger);
    this.records = deps.records;
  }

  async call(invocationId: string, { attempt, signal }: ToolCallAttempt): Promise<ToolCallOutcome> {
    const ctx = await this.contexts.load(invocationId);
    const { invocation: inv, capability: cap } = ctx;
    if (!cap || !ctx.server)
      return {
        kind: 'rejected',
        code: 'capability_not_found',
        message: `capability ${inv.capability} no longer exists`,
      };
    // A previous attempt recorded its success and its worker was lost before Temporal heard of it: that
    // record stands and the tool is not called again.
    if (inv.status === 'succeeded') return { kind: 'succeeded' };
    // A call routed to a sandbox goes to the sandbox's own server (same tools, pinned the same), and only
    // while the sandbox runs; the call counts as use, so it keeps the sandbox from going idle.
    const sandbox = inv.sandbox_id ? ctx.sandbox : undefined;
    if (inv.sandbox_id && (sandbox?.status !== 'running' || !sandbox.server))
      return {
        kind: 'rejected',
        code: 'sandbox_not_running',
        message: `sandbox ${inv.sandbox_id} is ${sandbox?.status ?? 'gone'}, not running`,
        details: { sandboxId: inv.sandbox_id },
      };
    const server = sandbox?.server ?? ctx.server;
    if (sandbox) await this.sandboxes.touch(sandbox.id);
    const limits = effectiveLimits(server, { timeoutCapMs: this.deps.toolTimeoutMs });
    const call: Call = {
      inv,
      cap,
      server,
      limits,
      attempt,
      base: {
        org_id: inv.org_id,
        actor: `mcp:${server.name}`,
        subject_type: 'invocation',
        subject_id: inv.id,
        invocation_id: inv.id,
      },
    };

    // An earlier attempt sent the request and recorded no outcome: its worker died mid-call, so the tool may
    // have run. The same rule as a call that failed after reaching the server: repeated only when safe.
    if (inv.tool_dispatched_at && !safeToRetry(cap)) {
      const message = `an earlier attempt sent the call to ${server.name} and was lost before its outcome was recorded; not retried because ${cap.tool} is not annotated readOnly or idempotent`;
      await this.record(call, 'tool.call_failed', {
        tool: cap.tool,
        kind: 'attempt_lost',
        message,
        attempt,
        reachedServer: true,
        dispatchedAt: inv.tool_dispatched_at,
      });
      return { kind: 'indeterminate', code: 'tool_call_indeterminate', message, details: {} };
    }

    // A missing or unusable secret is an AppError (4xx: final), naming the secret.
    const config = await resolvedServerConfig(server, this.deps.vault);
    // Whatever the server sends back is stored, returned to every role and audited: never a bound secret's value.
    const redactor = new Redactor(config.secrets ?? []);
    let permit: CallPermit;
    try {
      const rateAdmitted = inv.rate_admitted === true && (await this.limits.claimAdmission(inv.id));
      permit = await this.limits.acquire(server, limits, { rateAdmitted, signal });
    } catch (err) {
      if (!(err instanceof LimitExceeded)) throw err;
      platformMetrics.limitRejected(err.code, 'worker');
      await this.record(call, 'tool.limit_exceeded', {
        tool: cap.tool,
        ...err.toDetails(),
        message: err.message,
        attempt,
      });
      return {
        kind: 'limited',
        code: err.code,
        message: err.message,
        details: err.toDetails(),
        ...(err.retryAfterMs === undefined ? {} : { retryAfterMs: err.retryAfterMs }),
      };
    }

    const heard: { outcome?: CallOutcome } = {};
    try {
      return await this.callAdmitted(call, config, redactor, heard, signal);
    } finally {
      const { breaker } = await permit.release(heard.outcome);
      if (breaker) await this.recordBreaker(call, breaker);
    }
  }

  /** The pin check, the call and its result; `heard` tells the breaker what the server did. */
  private async callAdmitted(
    c: Call,
    config: McpServerConfig,
    redactor: Redactor,
    heard: { outcome?: CallOutcome },
    signal?: AbortSignal,
  ): Promise<ToolCallOutcome> {
    const { inv, cap, server, limits } = c;
    const startedAt = new Date();
    let result;
    try {
      // The pin: the server must still serve the definition the capability was bound to (a changed
      // description or schema is how a compromised server would steer a model), else the call is blocked.
      const current = (
        await this.deps.mcp.listTools(config, { maxAgeMs: this.deps.catalogMaxAgeMs ?? DEFAULT_CATALOG_MAX_AGE_MS })
      ).find((t) => t.name === cap.tool);
      heard.outcome = 'answered';
      const served = current ? toolDefinitionHash(current) : null;
      if (served !== cap.pinned_hash) return await this.pinViolation(c, served, current !== undefined);
      heard.outcome = undefined; // the call's own outcome is what the breaker hears
      // Durable before the request leaves: a worker that dies from here on leaves the mark for the next attempt.
      await this.invocations.update(inv.id, { tool_dispatched_at: new Date() });
      result = await this.callReporting(c, config, redactor, current?.inputSchema, signal);
      heard.outcome = 'answered';
    } catch (err) {
      if (!(err instanceof McpCallError)) throw err;
      heard.outcome = err.kind;
      return this.callFailed(c, err, redactor);
    }
    const bytes = resultBytes(result);
    if (bytes > limits.maxResultBytes) {
      const limit = LimitExceeded.resultSize(server.name, cap.tool, limits.maxResultBytes, bytes);
      platformMetrics.limitRejected(limit.code, 'worker');
      await this.record(c, 'tool.limit_exceeded', {
        tool: cap.tool,
        ...limit.toDetails(),
        bytes,
        message: limit.message,
        attempt: c.attempt,
      });
      return { kind: 'too_large', code: limit.code, message: limit.message, details: { ...limit.toDetails(), bytes } };
    }
    const stored = redactor.json({
      content: result.content,
      structuredContent: result.structuredContent ?? null,
      isError: result.isError === true,
    });
    const toolStartedAt = inv.tool_started_at ? new Date(inv.tool_started_at) : startedAt;
    if (result.isError) {
      const message = redactor.text(toolResultText(result) || 'the tool reported an error');
      await this.invocations.update(inv.id, {
        result: stored as never,
        tool_started_at: toolStartedAt,
        tool_dispatched_at: null,
      });
      const vendor = isIntegrationName(server.template ?? '') ? vendorErrorOf(result) : undefined;
      // The vendor behind an integration pushed back or failed: the breaker hears it, and a rate limit (the
      // call did not run) waits as long as the vendor asked before it is tried again.
      if (vendor && (vendor.status === 429 || vendor.status >= 500)) heard.outcome = 'vendor_failure';
      await this.record(c, 'tool.failed', { tool: cap.tool, message, ...(vendor ? { vendor } : {}) });
      if (vendor?.status === 429)
        return {
          kind: 'limited',
          code: 'vendor_rate_limited',
          message,
          details: { server: server.name, tool: cap.tool, ...vendor },
          retryAfterMs: (vendor.retryAfterSeconds ?? DEFAULT_VENDOR_RETRY_S) * 1000,
        };
      return { kind: 'tool_error', code: 'tool_error', message };
    }
    await this.records.finish(inv.id, inv.org_id, 'succeeded', {
      result: stored,
      toolStartedAt,
      risk: cap.risk,
      events: [
        {
          ...c.base,
          action: 'tool.called',
          data: { tool: cap.tool, server: server.name, ...(inv.sandbox_id ? { sandboxId: inv.sandbox_id } : {}) },
        },
      ],
    });
    return { kind: 'succeeded' };
  }

  /**
   * The tools/call itself, recording the progress the tool reports on the row as it runs. The recorder is
   * closed (its last value written) before this returns or throws, so before any outcome is recorded.
   */
  private async callReporting(
    c: Call,
    config: McpServerConfig,
    redactor: Redactor,
    inputSchema: Record<string, unknown> | undefined,
    signal?: AbortSignal,
  ) {
    const { inv, cap, limits } = c;
    const progress = new ProgressRecorder({
      write: (p) => this.invocations.recordProgress(inv.id, p),
      redactor,
      logger: this.deps.logger.child({ invocationId: inv.id }),
    });
    const started = performance.now();
    let outcome = 'error';
    try {
      const result = await this.deps.mcp.callTool(config, {
        name: cap.tool,
        arguments: inv.input,
        meta: { 'collexa/invocationId': inv.id, idempotencyKey: inv.id },
        ...(inputSchema ? { inputSchema } : {}),
        timeoutMs: limits.timeoutMs,
        signal,
        onprogress: (p) => progress.report(p),
      });
      outcome = result.isError === true ? 'tool_error' : 'ok';
      return result;
    } catch (err) {
      if (err instanceof McpCallError) outcome = err.kind;
      throw err;
    } finally {
      platformMetrics.toolCall(c.server.id, outcome, (performance.now() - started) / 1000);
      await progress.close();
    }
  }

  private async pinViolation(c: Call, served: string | null, stillServed: boolean): Promise<ToolCallFailure> {
    const { inv, cap, server } = c;
    const repin = `/v1/agents/${inv.agent_id}/capabilities/${cap.name}/repin`;
    await this.record(c, 'tool.pin_violation', { tool: cap.tool, pinned: cap.pinned_hash, served });
    return {
      kind: 'pin_violation',
      code: 'tool_definition_changed',
      message: stillServed
        ? `${server.name} now serves a different definition of ${cap.tool} than the one pinned; an admin must review and accept it (POST ${repin})`
        : `${server.name} no longer serves ${cap.tool}`,
      details: { tool: cap.tool, server: server.name, pinned: cap.pinned_hash, served, repin },
    };
  }

  /** A failed MCP call: invalid params are final; otherwise retried unless it may have run a tool that is unsafe to repeat. */
  private async callFailed(c: Call, err: McpCallError, redactor: Redactor): Promise<ToolCallFailure> {
    const { inv, cap, server, limits } = c;
    const limit = err.kind === 'timeout' ? LimitExceeded.timeout(server.name, cap.tool, limits.timeoutMs) : undefined;
    const message = limit?.message ?? boundedText(redactor.text(err.message), 1000);
    const event = {
      ...c.base,
      action: 'tool.call_failed',
      data: {
        tool: cap.tool,
        kind: err.kind,
        message,
        attempt: c.attempt,
        reachedServer: err.reachedServer,
        ...(limit ? limit.toDetails() : {}),
      },
    };
    // The request never reached the server: the tool did not run, so the dispatch mark goes with the record.
    if (err.reachedServer) await this.audit.record(event);
    else await this.audit.recordWith(this.invocations.updateQuery(inv.id, { tool_dispatched_at: null }), [event]);
    if (err.kind === 'invalid_params') return { kind: 'rejected', code: 'invalid_params', message };
    const details = limit?.toDetails() ?? {};
    if (!err.reachedServer || safeToRetry(cap))
      return { kind: 'transient', code: limit?.code ?? err.kind, message, details };
    return {
      kind: 'indeterminate',
      code: 'tool_call_indeterminate',
      message: `${message} (the call may have reached ${server.name}; not retried because ${cap.tool} is not annotated readOnly or idempotent)`,
      details,
    };
  }

  private async recordBreaker(c: Call, breaker: 'opened' | 'closed'): Promise<void> {
    const { inv, server, limits } = c;
    const data =
      breaker === 'opened'
        ? {
            server: server.name,
            breakerThreshold: limits.breakerThreshold,
            breakerCooldownMs: limits.breakerCooldownMs,
          }
        : { server: server.name };
    await this.audit
      .record({
        org_id: inv.org_id,
        actor: 'system',
        action: `mcp_server.circuit_${breaker}`,
        subject_type: 'mcp_server',
        subject_id: server.id,
        invocation_id: inv.id,
        data,
      })
      .catch((err: unknown) => this.deps.logger.warn({ err }, 'could not audit a circuit breaker change'));
  }

  private record(c: Call, action: string, data: Record<string, unknown>) {
    return this.audit.record({ ...c.base, action, data });
  }
}
