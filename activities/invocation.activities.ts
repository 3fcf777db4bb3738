import { ApplicationFailure, Context } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import type { Knex } from 'knex';
import { AuditRepository, type NewAuditEvent } from '../core/db/audit.repository.js';
import { InvocationContextRepository } from '../core/db/invocation-context.repository.js';
import { InvocationRepository } from '../core/db/invocation.repository.js';
import { AppError } from '../core/errors.js';
import { McpCallError, type McpServerConfig } from '../core/mcp/client-pool.js';
import { resolvedServerConfig } from '../core/mcp/server-config.js';
import { toolDefinitionHash } from '../core/mcp/tool-pin.js';
import { toolResultText } from '../core/mcp/tool-result.js';
import { boundedText, Redactor } from '../core/secrets/redact.js';
import { effectiveLimits } from '../core/limits/defaults.js';
import { decideInvoke } from '../core/policy/invoke-input.js';
import { ExecutionLimits, type CallOutcome, type CallPermit } from '../core/limits/execution-limits.js';
import { LimitExceeded, resultBytes } from '../core/limits/limit-exceeded.js';
import type { InvocationError, InvocationStatus, PolicyDecision } from '../contracts/invocation.contract.js';
import type { ActivityDeps } from './index.js';

const DEFAULT_CATALOG_MAX_AGE_MS = 5_000;
// Well inside the MCP call activity's heartbeatTimeout (workflows/invoke-capability.workflow.ts).
const HEARTBEAT_MS = 5_000;

/** Activities of invokeCapabilityWorkflow: policy decision, status transitions and the MCP tool call. */
export function createInvocationActivities(deps: ActivityDeps) {
  const { db } = deps;
  const invocations = new InvocationRepository(db);
  const contexts = new InvocationContextRepository(db);
  const audit = new AuditRepository(db);
  const executionLimits = new ExecutionLimits(db, deps.logger);

  /** The terminal write: status, error or result, and its audit events, in one transaction. */
  async function finish(invocationId: string, orgId: string, status: InvocationStatus, extra: { error?: InvocationError; result?: unknown; events?: NewAuditEvent[]; toolStartedAt?: Date; actor?: string } = {}) {
    await db.transaction(async (trx: Knex) => {
      await new InvocationRepository(trx).update(invocationId, {
        status,
        error: (extra.error ?? null) as never,
        ...(extra.result !== undefined ? { result: extra.result as never } : {}),
        ...(extra.toolStartedAt ? { tool_started_at: extra.toolStartedAt } : {}),
        completed_at: new Date(),
      });
      for (const e of extra.events ?? []) await audit.record(e, trx);
      await audit.record(
        { org_id: orgId, actor: extra.actor ?? 'system', action: `invocation.${status}`, subject_type: 'invocation', subject_id: invocationId, invocation_id: invocationId, data: extra.error ? { error: extra.error } : {} },
        trx,
      );
    });
  }

  return {
    /** Evaluates collexa.authz.invoke for the invocation and records the decision with the policy version (a denial returns the API's rate tokens). */
    async decideInvocation({ invocationId }: { invocationId: string }): Promise<PolicyDecision> {
      const ctx = await contexts.load(invocationId);
      const { invocation: inv, server } = ctx;
      const decision: PolicyDecision = decideInvoke(deps.policy, ctx, inv.id);
      await db.transaction(async (trx: Knex) => {
        await new InvocationRepository(trx).update(invocationId, { decision: decision as never, decided_at: new Date() });
        await audit.record(
          { org_id: inv.org_id, actor: 'policy', action: 'policy.decided', subject_type: 'invocation', subject_id: inv.id, invocation_id: inv.id, data: { ...decision } },
          trx,
        );
        // Tokens the API took for a call policy denies go back: a denied call never reaches the server.
        if (!decision.allow && server) await new ExecutionLimits(trx).refundAdmission(inv.id, server, effectiveLimits(server));
      });
      return decision;
    },

    async markInvocation(input: { invocationId: string; status: InvocationStatus; approvalId?: string }): Promise<void> {
      await invocations.update(input.invocationId, { status: input.status, ...(input.approvalId ? { approval_id: input.approvalId } : {}) });
    },

    /** Records a terminal state other than success (success is recorded by callCapabilityTool). */
    async finishInvocation(input: { invocationId: string; status: InvocationStatus; error?: InvocationError }): Promise<void> {
      const inv = await invocations.getById(input.invocationId);
      // A cancel through the API names its user (core/invocations/invocation.service.ts cancel).
      const actor = input.status === 'cancelled' && inv.cancel_requested_by ? `user:${inv.cancel_requested_by}` : undefined;
      await finish(inv.id, inv.org_id, input.status, { error: input.error, actor });
    },

    /**
     * Calls the capability's MCP tool with the invocation id as idempotency key, and on success records the
     * result and the succeeded state in the same step. The server's execution limits come first (breaker,
     * rate, concurrency: a refusal is retried by Temporal after the wait it names) and bound the call
     * (timeout, result size). Retry rules: failures before the request reached the server are always
     * retryable; after that, only for tools annotated readOnly or idempotent. Tool errors (isError),
     * invalid params and oversized results are final.
     */
    async callCapabilityTool({ invocationId }: { invocationId: string }): Promise<void> {
      const ctx = Context.current();
      const { invocation: inv, capability: cap, server } = await contexts.load(invocationId);
      if (!cap || !server) throw ApplicationFailure.create({ type: 'capability_not_found', message: `capability ${inv.capability} no longer exists`, nonRetryable: true });
      const annotations = (cap.tool_definition.annotations ?? {}) as Record<string, unknown>;
      const safeToRetry = annotations.readOnlyHint === true || annotations.idempotentHint === true;
      const base = { org_id: inv.org_id, actor: `mcp:${server.name}`, subject_type: 'invocation', subject_id: inv.id, invocation_id: inv.id };
      const startedAt = new Date();
      const attempt = ctx.info.attempt;
      const limits = effectiveLimits(server, { timeoutCapMs: deps.toolTimeoutMs });
      // Liveness for Temporal (heartbeatTimeout) while waiting for a slot or a long call; also delivers cancellation.
      const heartbeat = setInterval(() => ctx.heartbeat(), HEARTBEAT_MS);

      let permit: CallPermit;
      let config: McpServerConfig;
      let redactor = new Redactor([]);
      try {
        config = await resolvedServerConfig(server, deps.vault).catch(secretFailure);
        // Whatever the server sends back is stored, returned to every role and audited: never a bound secret's value.
        redactor = new Redactor(config.secrets ?? []);
        const rateAdmitted = inv.rate_admitted === true && (await executionLimits.claimAdmission(inv.id));
        permit = await executionLimits.acquire(server, limits, { rateAdmitted, signal: ctx.cancellationSignal });
      } catch (err) {
        clearInterval(heartbeat);
        if (!(err instanceof LimitExceeded)) throw err;
        await audit.record({ ...base, action: 'tool.limit_exceeded', data: { tool: cap.tool, ...err.toDetails(), message: err.message, attempt } });
        // Retried by Temporal once the limit allows it, within the activity's schedule-to-close window;
        // benign: an expected wait, logged at debug level rather than as a failed attempt.
        throw ApplicationFailure.create({
          type: err.code,
          message: err.message,
          details: [err.toDetails()],
          category: ApplicationFailureCategory.BENIGN,
          ...(err.retryAfterMs === undefined ? {} : { nextRetryDelay: err.retryAfterMs }),
        });
      }

      let outcome: CallOutcome | undefined;
      try {
        let result;
        try {
          // The pin: the server must still serve the definition the capability was bound to (a changed
          // description or schema is how a compromised server would steer a model), else the call is blocked.
          const current = (await deps.mcp.listTools(config, { maxAgeMs: deps.catalogMaxAgeMs ?? DEFAULT_CATALOG_MAX_AGE_MS })).find((t) => t.name === cap.tool);
          outcome = 'answered';
          const currentHash = current ? toolDefinitionHash(current) : null;
          if (currentHash !== cap.pinned_hash) {
            const repin = `/v1/agents/${inv.agent_id}/capabilities/${cap.name}/repin`;
            await audit.record({ ...base, action: 'tool.pin_violation', data: { tool: cap.tool, pinned: cap.pinned_hash, served: currentHash } });
            throw ApplicationFailure.create({
              type: 'tool_definition_changed',
              message: current
                ? `${server.name} now serves a different definition of ${cap.tool} than the one pinned; an admin must review and accept it (POST ${repin})`
                : `${server.name} no longer serves ${cap.tool}`,
              nonRetryable: true,
              details: [{ tool: cap.tool, server: server.name, pinned: cap.pinned_hash, served: currentHash, repin }],
            });
          }
          outcome = undefined; // the call's own outcome is what the breaker hears
          result = await deps.mcp.callTool(config, {
            name: cap.tool,
            arguments: inv.input,
            meta: { 'collexa/invocationId': inv.id, idempotencyKey: inv.id },
            timeoutMs: limits.timeoutMs,
            signal: ctx.cancellationSignal,
          });
          outcome = 'answered';
        } catch (err) {
          if (!(err instanceof McpCallError)) throw err;
          outcome = err.kind;
          const limit = err.kind === 'timeout' ? LimitExceeded.timeout(server.name, cap.tool, limits.timeoutMs) : undefined;
          const message = limit?.message ?? boundedText(redactor.text(err.message), 1000);
          await audit.record({ ...base, action: 'tool.call_failed', data: { tool: cap.tool, kind: err.kind, message, attempt, reachedServer: err.reachedServer, ...(limit ? limit.toDetails() : {}) } });
          if (err.kind === 'invalid_params') throw ApplicationFailure.create({ type: 'invalid_params', message, nonRetryable: true });
          if (!err.reachedServer || safeToRetry) throw ApplicationFailure.create({ type: limit?.code ?? err.kind, message, details: [limit?.toDetails() ?? {}] }); // transient: Temporal retries
          throw ApplicationFailure.create({
            type: 'tool_call_indeterminate',
            message: `${message} (the call may have reached ${server.name}; not retried because ${cap.tool} is not annotated readOnly or idempotent)`,
            nonRetryable: true,
            details: [limit?.toDetails() ?? {}],
          });
        }
        const bytes = resultBytes(result);
        if (bytes > limits.maxResultBytes) {
          const limit = LimitExceeded.resultSize(server.name, cap.tool, limits.maxResultBytes, bytes);
          await audit.record({ ...base, action: 'tool.limit_exceeded', data: { tool: cap.tool, ...limit.toDetails(), bytes, message: limit.message, attempt } });
          throw ApplicationFailure.create({ type: limit.code, message: limit.message, nonRetryable: true, details: [{ ...limit.toDetails(), bytes }] });
        }
        const stored = redactor.json({ content: result.content, structuredContent: result.structuredContent ?? null, isError: result.isError === true });
        if (result.isError) {
          const message = redactor.text(toolResultText(result) || 'the tool reported an error');
          await invocations.update(invocationId, { result: stored as never, tool_started_at: inv.tool_started_at ? new Date(inv.tool_started_at) : startedAt });
          await audit.record({ ...base, action: 'tool.failed', data: { tool: cap.tool, message } });
          throw ApplicationFailure.create({ type: 'tool_error', message, nonRetryable: true });
        }
        await finish(inv.id, inv.org_id, 'succeeded', { result: stored, toolStartedAt: inv.tool_started_at ? new Date(inv.tool_started_at) : startedAt, events: [{ ...base, action: 'tool.called', data: { tool: cap.tool, server: server.name } }] });
      } finally {
        clearInterval(heartbeat);
        const { breaker } = await permit.release(outcome);
        if (breaker) {
          const event = { org_id: inv.org_id, actor: 'system', action: `mcp_server.circuit_${breaker}`, subject_type: 'mcp_server', subject_id: server.id, invocation_id: inv.id };
          const data = breaker === 'opened' ? { server: server.name, breakerThreshold: limits.breakerThreshold, breakerCooldownMs: limits.breakerCooldownMs } : { server: server.name };
          await audit.record({ ...event, data }).catch((err: unknown) => deps.logger.warn({ err }, 'could not audit a circuit breaker change'));
        }
      }
    },
  };
}

/** A missing or unusable secret will not fix itself on retry: fail the invocation, naming the secret. */
function secretFailure(err: unknown): never {
  if (err instanceof AppError && (err.code === 'unknown_secret' || err.code === 'invalid_secret_value')) {
    throw ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: true, details: [err.details] });
  }
  throw err;
}
