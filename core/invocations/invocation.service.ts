import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import {
  INVOKE_CAPABILITY_WORKFLOW,
  invocationWorkflowId,
  isTerminalInvocation,
  type InvokeCapabilityWorkflow,
} from '../../contracts/invocation.contract.js';
import { AgentIdKey, CapabilityKey, OrgIdKey, StatusKey } from '../../contracts/search-attributes.js';
import { AgentRepository } from '../db/agent.repository.js';
import { InvocationContextRepository } from '../db/invocation-context.repository.js';
import { McpServerRepository } from '../db/mcp-server.repository.js';
import { InvocationRepository } from '../db/invocation.repository.js';
import type { Db } from '../db/knex.js';
import type { ApprovalRow, InvocationRow, McpServerRow } from '../db/rows.js';
import { SandboxRepository } from '../db/sandbox.repository.js';
import { AuditRepository } from '../db/audit.repository.js';
import { AppError, badRequest, conflict, notFound } from '../errors.js';
import type { Principal } from '../identity/identity.service.js';
import { InvocationAdmission } from '../limits/admission.js';
import type { Logger } from '../log.js';
import type { PolicyEngine } from '../policy/engine.js';
import { decideInvoke } from '../policy/invoke-input.js';
import { canonicalHash } from '../canonical-json.js';
import { cancelRight } from './cancel-right.js';
import { assertValidToolInput } from './input-validator.js';

/** One request to run a capability, from whichever door it came in by (REST or MCP). */
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

export interface InvocationServiceDeps {
  db: Db;
  temporal: Client;
  /** The task queue the workers poll (TEMPORAL_TASK_QUEUE). */
  taskQueue: string;
  approvalTimeoutMs: number;
  /**
   * The policy bundle the workers run, for a forecast before admission: a call it denies spends no server
   * or org rate tokens, only its key's denied bucket. Without it every call takes the tokens and the
   * workflow's decision gives a denied call's back.
   */
  policy?: PolicyEngine;
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,200}$/;

/** Creates invocations (validation, idempotency, workflow start) and waits for them to end: shared by REST and MCP. */
export class InvocationService {
  readonly invocations: InvocationRepository;
  private readonly agents: AgentRepository;
  private readonly admission: InvocationAdmission;
  private readonly servers: McpServerRepository;
  private readonly contexts: InvocationContextRepository;
  private readonly sandboxes: SandboxRepository;

  constructor(private readonly deps: InvocationServiceDeps) {
    this.invocations = new InvocationRepository(deps.db);
    this.agents = new AgentRepository(deps.db);
    this.servers = new McpServerRepository(deps.db);
    this.contexts = new InvocationContextRepository(deps.db);
    this.sandboxes = new SandboxRepository(deps.db);
    this.admission = new InvocationAdmission(deps.db);
  }

  /**
   * Validates the input against the capability's pinned schema, records the invocation (or finds the one
   * holding this idempotency key) and starts its workflow. Throws AppErrors a caller can show as they are.
   */
  async invoke(p: Principal, req: InvokeRequest, log?: Logger): Promise<{ row: InvocationRow; created: boolean }> {
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
    const denied = this.deps.policy
      ? !decideInvoke(
          this.deps.policy,
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
    });
    if (!created && row.request_hash !== requestHash) {
      throw conflict('This idempotency key was used for a different request', { idempotencyKey, invocationId: row.id });
    }
    // A replay starts the workflow again too: if the first request died between insert and start, this
    // completes it; otherwise Temporal rejects the duplicate id and nothing happens.
    if (!isTerminalInvocation(row.status)) {
      try {
        await this.startWorkflow(
          row,
          req.approvalExpiresIn ? req.approvalExpiresIn * 1000 : this.deps.approvalTimeoutMs,
        );
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
          log?.error({ err, invocationId: row.id }, 'could not start invocation workflow');
          throw new AppError(
            'temporal_unavailable',
            503,
            'The invocation was recorded but could not be started; retry with the same idempotency key',
            { invocationId: row.id },
          );
        }
      }
    }
    return { row, created };
  }

  /**
   * Holds until the invocation's workflow ends, `ms` pass or `signal` aborts, then re-reads the row.
   * The Temporal long poll is cancelled with the wait, so an abandoned wait keeps no call open.
   */
  async waitForEnd(row: InvocationRow, ms: number, signal?: AbortSignal): Promise<InvocationRow> {
    if (ms <= 0 || isTerminalInvocation(row.status) || signal?.aborted) return row;
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), ms);
    const onAbort = () => stop.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const stopped = new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true }));
    try {
      const ended = this.deps.temporal.withAbortSignal(stop.signal, () =>
        this.deps.temporal.workflow.getHandle(row.workflow_id).result(),
      );
      await Promise.race([ended.catch(() => undefined), stopped]);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      stop.abort();
    }
    return this.invocations.get(row.org_id, row.id);
  }

  /**
   * Cancels a running or pending invocation (and so its approval) for its requester, an admin or an
   * approver of its approval; 403 for anyone else, 409 once it ended. The request is recorded with its
   * user before the workflow is cancelled, so the end's audit names them rather than `system`.
   */
  async cancel(p: Principal, id: string): Promise<InvocationRow> {
    const row = await this.invocations.get(p.orgId, id);
    const right = cancelRight(p, row, await this.invocations.approvalFor(row));
    if (!right)
      throw new AppError(
        'cancel_forbidden',
        403,
        'Only the requester, an admin or an approver of its approval may cancel this invocation',
        { role: p.role },
      );
    if (isTerminalInvocation(row.status))
      throw conflict(`The invocation already ended (${row.status})`, { status: row.status });
    await this.deps.db.transaction(async (trx) => {
      await new InvocationRepository(trx).update(row.id, { cancel_requested_by: p.userId });
      await new AuditRepository(trx).record({
        org_id: row.org_id,
        actor: `user:${p.userId}`,
        action: 'invocation.cancel_requested',
        subject_type: 'invocation',
        subject_id: row.id,
        invocation_id: row.id,
        data: { as: right, role: p.role },
      });
    });
    const handle = this.deps.temporal.workflow.getHandle(row.workflow_id);
    await handle.cancel();
    // Give the workflow a moment to record the cancellation so the answer usually shows it.
    await Promise.race([handle.result().catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
    return this.invocations.get(row.org_id, id);
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

  /** Starts invokeCapabilityWorkflow for a recorded row; WorkflowExecutionAlreadyStartedError when it already runs. */
  private startWorkflow(row: InvocationRow, approvalTimeoutMs: number) {
    return this.deps.temporal.workflow.start<InvokeCapabilityWorkflow>(INVOKE_CAPABILITY_WORKFLOW, {
      taskQueue: this.deps.taskQueue,
      workflowId: row.workflow_id,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      args: [
        {
          invocationId: row.id,
          orgId: row.org_id,
          agentId: row.agent_id,
          capability: row.capability,
          requestedBy: row.requested_by,
          approvalTimeoutMs,
        },
      ],
      typedSearchAttributes: [
        { key: OrgIdKey, value: row.org_id },
        { key: AgentIdKey, value: row.agent_id },
        { key: CapabilityKey, value: row.capability },
        { key: StatusKey, value: 'running' },
      ],
    });
  }

  get(orgId: string, id: string): Promise<InvocationRow> {
    return this.invocations.get(orgId, id);
  }

  list(orgId: string, filter: Parameters<InvocationRepository['list']>[1]) {
    return this.invocations.list(orgId, filter);
  }

  approvalFor(row: InvocationRow): Promise<ApprovalRow | undefined> {
    return this.invocations.approvalFor(row);
  }
}
