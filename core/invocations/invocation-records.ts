import type { Knex } from 'knex';
import type { InvocationError, InvocationStatus, PolicyDecision } from '../../contracts/invocation.contract.js';
import { AgentRepository } from '../db/agent.repository.js';
import { AuditRepository, type NewAuditEvent } from '../db/audit.repository.js';
import { platformMetrics } from '../metrics/platform-metrics.js';
import { InvocationContextRepository, type InvocationContext } from '../db/invocation-context.repository.js';
import { InvocationRepository } from '../db/invocation.repository.js';
import { effectiveLimits } from '../limits/defaults.js';
import { ExecutionLimits } from '../limits/execution-limits.js';
import type { PolicyEngine } from '../policy/engine.js';
import { decideInvoke } from '../policy/invoke-input.js';

/** What a terminal write records besides the status. */
export interface FinishDetails {
  error?: InvocationError;
  result?: unknown;
  events?: NewAuditEvent[];
  toolStartedAt?: Date;
  actor?: string;
  /** The capability's risk, for the finished-invocations counter (looked up when the caller has not it). */
  risk?: string;
}

/**
 * The invocation row's transitions as the workflow makes them: the policy decision, status changes and the
 * terminal write, each with its audit events in the same statement (or transaction).
 */
export class InvocationRecords {
  private readonly invocations: InvocationRepository;
  private readonly contexts: InvocationContextRepository;

  constructor(
    private readonly db: Knex,
    private readonly policy: PolicyEngine,
  ) {
    this.invocations = new InvocationRepository(db);
    this.contexts = new InvocationContextRepository(db);
  }

  /** Evaluates collexa.authz.invoke and records the decision with the policy version (a denial returns the API's rate tokens). */
  async decide(invocationId: string): Promise<{ decision: PolicyDecision; org: InvocationContext['org'] }> {
    const ctx = await this.contexts.load(invocationId);
    const { invocation: inv, server } = ctx;
    const decision = decideInvoke(this.policy, ctx, inv.id);
    const record = (db: Knex) =>
      new AuditRepository(db).recordWith(
        new InvocationRepository(db).updateQuery(invocationId, { decision: decision as never, decided_at: new Date() }),
        [
          {
            org_id: inv.org_id,
            actor: 'policy',
            action: 'policy.decided',
            subject_type: 'invocation',
            subject_id: inv.id,
            invocation_id: inv.id,
            data: { ...decision },
          },
        ],
      );
    // Tokens the API took for a call policy denies go back in the same transaction: a denied call never
    // reaches the server. An allowed one is a single statement.
    if (!decision.allow && server)
      await this.db.transaction(async (trx: Knex) => {
        await record(trx);
        await new ExecutionLimits(trx).refundAdmission(inv.id, server, effectiveLimits(server));
      });
    else await record(this.db);
    return { decision, org: ctx.org };
  }

  async mark(invocationId: string, status: InvocationStatus, approvalId?: string): Promise<void> {
    await this.invocations.update(invocationId, { status, ...(approvalId ? { approval_id: approvalId } : {}) });
  }

  /** A terminal state the workflow reached (success is recorded by the tool call itself); a cancel names its user. */
  async end(invocationId: string, status: InvocationStatus, error?: InvocationError): Promise<void> {
    const inv = await this.invocations.getById(invocationId);
    // A cancel through the API names its user (core/invocations/invocation.service.ts cancel).
    const actor = status === 'cancelled' && inv.cancel_requested_by ? `user:${inv.cancel_requested_by}` : undefined;
    const risk = await new AgentRepository(this.db).capabilityRisk(inv.agent_id, inv.capability);
    await this.finish(inv.id, inv.org_id, status, { error, actor, risk });
  }

  /** The terminal write: status, error or result, and its audit events, in one transaction. */
  async finish(
    invocationId: string,
    orgId: string,
    status: InvocationStatus,
    extra: FinishDetails = {},
  ): Promise<void> {
    // One statement: the row and its audit events land together or not at all.
    await new AuditRepository(this.db).recordWith(
      this.invocations.updateQuery(invocationId, {
        status,
        error: (extra.error ?? null) as never,
        ...(extra.result !== undefined ? { result: extra.result as never } : {}),
        ...(extra.toolStartedAt ? { tool_started_at: extra.toolStartedAt } : {}),
        completed_at: new Date(),
      }),
      [
        ...(extra.events ?? []),
        {
          org_id: orgId,
          actor: extra.actor ?? 'system',
          action: `invocation.${status}`,
          subject_type: 'invocation',
          subject_id: invocationId,
          invocation_id: invocationId,
          data: extra.error ? { error: extra.error } : {},
        },
      ],
    );
    platformMetrics.invocationFinished(status, extra.risk);
  }
}
