import { ApplicationFailure, Context } from '@temporalio/activity';
import { AuditRepository } from '../core/db/audit.repository.js';
import { InvocationRepository } from '../core/db/invocation.repository.js';
import { McpServerRepository } from '../core/db/mcp-server.repository.js';
import type { AgentRow, CapabilityRow, InvocationStatus, OrganizationRow, UserRow } from '../core/db/rows.js';
import { McpCallError } from '../core/mcp/client-pool.js';
import { toServerConfig } from '../core/mcp/server-config.js';
import { toolResultText } from '../core/mcp/tool-result.js';
import type { PolicyDecision } from '../workflows/invoke-capability.messages.js';
import type { ActivityDeps } from './index.js';

const DEFAULT_TOOL_TIMEOUT_MS = 60_000;

/** Activities of invokeCapabilityWorkflow: policy decision, status transitions and the MCP tool call. */
export function createInvocationActivities(deps: ActivityDeps) {
  const { db } = deps;
  const invocations = new InvocationRepository(db);
  const servers = new McpServerRepository(db);
  const audit = new AuditRepository(db);

  async function capabilityOf(agentId: string, name: string): Promise<CapabilityRow | undefined> {
    return db<CapabilityRow>('agent_capabilities').where({ agent_id: agentId, name }).first();
  }

  return {
    /** Evaluates collexa.authz.invoke for the invocation and records the decision with the policy version. */
    async decideInvocation({ invocationId }: { invocationId: string }): Promise<PolicyDecision> {
      const inv = await invocations.getById(invocationId);
      const [user, org, agent, cap] = await Promise.all([
        db<UserRow>('users').where({ id: inv.requested_by }).first(),
        db<OrganizationRow>('organizations').where({ id: inv.org_id }).first(),
        db<AgentRow>('agents').where({ id: inv.agent_id }).first(),
        capabilityOf(inv.agent_id, inv.capability),
      ]);
      let decision: PolicyDecision;
      if (!user || !org || !agent || !cap) {
        decision = { allow: false, requireApproval: false, approverRoles: [], reasons: ['the requester, agent or capability no longer exists'], policyVersion: deps.policy.version };
      } else {
        const server = await servers.get(org.id, cap.server_id);
        decision = deps.policy.decideInvoke({
          user: { id: user.id, role: user.role, org_id: user.org_id },
          org: { id: org.id, settings: org.settings },
          agent: { id: agent.id, name: agent.name },
          capability: { name: cap.name, risk: cap.risk, server: server.name, tool: cap.tool },
          context: { invocation_id: inv.id },
        });
      }
      await invocations.update(invocationId, { decision: decision as never, decided_at: new Date() });
      await audit.record({
        org_id: inv.org_id,
        actor: 'policy',
        action: 'policy.decided',
        subject_type: 'invocation',
        subject_id: inv.id,
        invocation_id: inv.id,
        data: { ...decision },
      });
      return decision;
    },

    async markInvocation(input: { invocationId: string; status: InvocationStatus; approvalId?: string }): Promise<void> {
      await invocations.update(input.invocationId, { status: input.status, ...(input.approvalId ? { approval_id: input.approvalId } : {}) });
    },

    /** Records the terminal state; idempotent, so a retry after a lost response changes nothing. */
    async finishInvocation(input: { invocationId: string; status: InvocationStatus; error?: { code: string; message: string; details?: Record<string, unknown> } }): Promise<void> {
      const inv = await invocations.getById(input.invocationId);
      await invocations.update(input.invocationId, { status: input.status, error: (input.error ?? null) as never, completed_at: new Date() });
      await audit.record({
        org_id: inv.org_id,
        actor: 'system',
        action: `invocation.${input.status}`,
        subject_type: 'invocation',
        subject_id: inv.id,
        invocation_id: inv.id,
        data: input.error ? { error: input.error } : {},
      });
    },

    /**
     * Calls the capability's MCP tool with the invocation id as idempotency key. Retry rules: failures
     * before the request reached the server are always retryable; after that, only for tools annotated
     * readOnly or idempotent. Tool errors (isError) and invalid params are final.
     */
    async callCapabilityTool({ invocationId }: { invocationId: string }): Promise<void> {
      const ctx = Context.current();
      const inv = await invocations.getById(invocationId);
      const cap = await capabilityOf(inv.agent_id, inv.capability);
      if (!cap) throw ApplicationFailure.create({ type: 'capability_not_found', message: `capability ${inv.capability} no longer exists`, nonRetryable: true });
      const server = await servers.get(inv.org_id, cap.server_id);
      const annotations = (cap.tool_definition.annotations ?? {}) as Record<string, unknown>;
      const safeToRetry = annotations.readOnlyHint === true || annotations.idempotentHint === true;
      const base = { org_id: inv.org_id, actor: `mcp:${server.name}`, subject_type: 'invocation', subject_id: inv.id, invocation_id: inv.id };
      if (!inv.tool_started_at) await invocations.update(invocationId, { tool_started_at: new Date() });

      let result;
      try {
        result = await deps.mcp.callTool(toServerConfig(server), {
          name: cap.tool,
          arguments: inv.input,
          meta: { 'collexa/invocationId': inv.id, idempotencyKey: inv.id },
          timeoutMs: deps.toolTimeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS,
          signal: ctx.cancellationSignal,
        });
      } catch (err) {
        if (!(err instanceof McpCallError)) throw err;
        const attempt = ctx.info.attempt;
        await audit.record({ ...base, action: 'tool.call_failed', data: { tool: cap.tool, kind: err.kind, message: err.message, attempt, reachedServer: err.reachedServer } });
        if (err.kind === 'invalid_params') throw ApplicationFailure.create({ type: 'invalid_params', message: err.message, nonRetryable: true });
        if (!err.reachedServer || safeToRetry) throw err; // transient: Temporal retries
        throw ApplicationFailure.create({
          type: 'tool_call_indeterminate',
          message: `${err.message} (the call may have reached ${server.name}; not retried because ${cap.tool} is not annotated readOnly or idempotent)`,
          nonRetryable: true,
        });
      }
      const stored = { content: result.content, structuredContent: result.structuredContent ?? null, isError: result.isError === true };
      await invocations.update(invocationId, { result: stored as never });
      if (result.isError) {
        const message = toolResultText(result) || 'the tool reported an error';
        await audit.record({ ...base, action: 'tool.failed', data: { tool: cap.tool, message } });
        throw ApplicationFailure.create({ type: 'tool_error', message, nonRetryable: true });
      }
      await audit.record({ ...base, action: 'tool.called', data: { tool: cap.tool, server: server.name } });
    },
  };
}
