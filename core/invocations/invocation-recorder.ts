import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { invocationWorkflowId, type InvokeInput } from '../../contracts/invocation.contract.js';
import { canonicalHash } from '../canonical-json.js';
import { AgentRepository } from '../db/agent.repository.js';
import { InvocationContextRepository } from '../db/invocation-context.repository.js';
import { InvocationRepository } from '../db/invocation.repository.js';
import { McpServerRepository } from '../db/mcp-server.repository.js';
import type { InvocationRow, McpServerRow } from '../db/rows.js';
import { SandboxRepository } from '../db/sandbox.repository.js';
import { badRequest, conflict, notFound } from '../errors.js';
import type { Principal } from '../identity/identity.service.js';
import { InvocationAdmission } from '../limits/admission.js';
import type { PolicyEngine } from '../policy/engine.js';
import { decideInvoke } from '../policy/invoke-input.js';
import { assertValidToolInput } from './input-validator.js';

/** One request to run a capability, from whichever door it came in by (REST, MCP or a pipeline's step). */
export interface InvokeRequest {
  agentId: string;
  capability: string;
  input: Record<string, unknown>;
  idempotencyKey?: string | null;
  /** Seconds an approval, if policy asks for one, may wait (default: the service's approvalTimeoutMs). */
  approvalExpiresIn?: number;
  /** Run the capability against this sandbox of the agent instead of the real system. */
  sandboxId?: string | null;
}

/** Who a recorded invocation is for: the caller's org, user, and the key whose denied bucket a denial spends. */
export type Requester = Pick<Principal, 'orgId' | 'userId' | 'keyId'>;

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,200}$/;

/** The approval wait a request asks for, in ms, or the service's default. */
export const approvalTimeoutOf = (req: InvokeRequest, defaultMs: number) =>
  req.approvalExpiresIn ? req.approvalExpiresIn * 1000 : defaultMs;

/** The workflow input of a recorded invocation (ids only: the activities read the rest from the row). */
export function invokeInputOf(row: InvocationRow, approvalTimeoutMs: number): InvokeInput {
  return {
    invocationId: row.id,
    orgId: row.org_id,
    agentId: row.agent_id,
    capability: row.capability,
    requestedBy: row.requested_by,
    approvalTimeoutMs,
  };
}

/**
 * The door's half of an invocation, without its start: validation against the pinned schema, the sandbox
 * it is routed to, the policy forecast, admission (rate tokens, breaker) and the row (or the one holding
 * the idempotency key). REST and MCP start the workflow after it; a pipeline runs it as a child.
 */
export class InvocationRecorder {
  private readonly invocations: InvocationRepository;
  private readonly agents: AgentRepository;
  private readonly admission: InvocationAdmission;
  private readonly servers: McpServerRepository;
  private readonly contexts: InvocationContextRepository;
  private readonly sandboxes: SandboxRepository;

  constructor(
    db: Knex,
    private readonly policy?: PolicyEngine,
  ) {
    this.invocations = new InvocationRepository(db);
    this.agents = new AgentRepository(db);
    this.servers = new McpServerRepository(db);
    this.contexts = new InvocationContextRepository(db);
    this.sandboxes = new SandboxRepository(db);
    this.admission = new InvocationAdmission(db);
  }

  /** Records the invocation (or answers the one holding its idempotency key). Throws AppErrors a caller can show. */
  async record(
    p: Requester,
    req: InvokeRequest,
    link: { pipelineId?: string } = {},
  ): Promise<{ row: InvocationRow; created: boolean }> {
    const idempotencyKey = req.idempotencyKey ?? null;
    if (idempotencyKey !== null && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw badRequest(
        'invalid_idempotency_key',
        'An idempotency key must be 1-200 characters of letters, digits, . _ : -',
      );
    }
    const agent = await this.agents.get(p.orgId, req.agentId);
    const cap = agent.capabilities.find((c) => c.name === req.capability);
    if (!cap)
      throw badRequest('unknown_capability', `Agent "${agent.name}" has no capability "${req.capability}"`, {
        available: agent.capabilities.map((c) => c.name),
      });
    assertValidToolInput(cap.tool_definition.inputSchema as Record<string, unknown> | undefined, req.input, {
      tool: cap.tool,
    });
    const invocationId = randomUUID();
    const server = await this.servers.get(p.orgId, cap.server_id);
    const sandbox = req.sandboxId
      ? await this.sandboxFor(p.orgId, req.sandboxId, agent.id, cap.name, server)
      : undefined;
    // The same policy the workflow will ask, asked now: a call it will deny must not spend the tokens others need.
    const denied = this.policy
      ? !decideInvoke(
          this.policy,
          { ...(await this.contexts.requester(p.orgId, p.userId)), agent, capability: cap, server, sandbox },
          invocationId,
        ).allow
      : false;
    // The server's breaker and rate limits, or the key's denied bucket (429/503 with Retry-After), before anything is recorded.
    const rateAdmitted = await this.admission.admit(server, idempotencyKey, denied ? p.keyId : undefined);

    const requestHash = canonicalHash({
      agentId: req.agentId,
      capability: req.capability,
      input: req.input,
      approvalExpiresIn: req.approvalExpiresIn ?? null,
      ...(sandbox ? { sandboxId: sandbox.id } : {}),
    });
    const { row, created } = await this.invocations.createOrGet({
      id: invocationId,
      org_id: p.orgId,
      agent_id: req.agentId,
      capability: req.capability,
      requested_by: p.userId,
      input: req.input,
      idempotency_key: idempotencyKey,
      request_hash: requestHash,
      workflow_id: invocationWorkflowId(p.orgId, idempotencyKey, invocationId),
      rate_admitted: rateAdmitted,
      sandbox_id: sandbox?.id ?? null,
      ...(link.pipelineId ? { pipeline_id: link.pipelineId } : {}),
    });
    if (!created && row.request_hash !== requestHash) {
      throw conflict('This idempotency key was used for a different request', { idempotencyKey, invocationId: row.id });
    }
    return { row, created };
  }

  /**
   * The sandbox a call is routed to: the agent's own, running, and standing in for the target the
   * capability's server fronts (an openapi server registered with that `target`); 404 for another
   * org's or agent's, 409 when it is not running, 400 when the capability is not for its target.
   */
  private async sandboxFor(
    orgId: string,
    sandboxId: string,
    agentId: string,
    capability: string,
    server: McpServerRow,
  ) {
    const sandbox = await this.sandboxes.get(orgId, sandboxId);
    if (sandbox.agent_id !== agentId) throw notFound('sandbox', sandboxId);
    if (sandbox.status !== 'running')
      throw conflict(`Sandbox ${sandboxId} is ${sandbox.status}, not running`, { sandboxId, status: sandbox.status });
    if (server.sandbox_target !== sandbox.target)
      throw badRequest(
        'capability_not_in_sandbox',
        `Capability "${capability}" is not served from target ${sandbox.target} (its server ${server.name} fronts ${server.sandbox_target ?? 'no sandbox target'})`,
        { sandboxId, target: sandbox.target, server: server.name },
      );
    return sandbox;
  }
}
