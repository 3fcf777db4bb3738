import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import {
  PIPELINE_NOT_FAILED,
  PIPELINE_STAGES,
  PIPELINE_WORKFLOW,
  pipelineWorkflowId,
  retryPipelineUpdate,
  type PipelineStatus,
  type PipelineWorkflow,
} from '../../contracts/pipeline.contract.js';
import { AgentIdKey, OrgIdKey, StatusKey } from '../../contracts/search-attributes.js';
import { AgentRepository } from '../db/agent.repository.js';
import { AuditRepository } from '../db/audit.repository.js';
import { InvocationRepository } from '../db/invocation.repository.js';
import type { Db } from '../db/knex.js';
import { PipelineRepository } from '../db/pipeline.repository.js';
import type { PipelineRow, PipelineStageRecord } from '../db/rows.js';
import { SandboxRepository } from '../db/sandbox.repository.js';
import { AppError, badRequest, conflict, notFound } from '../errors.js';
import { auditEvent, type Actor } from '../identity/actor.js';
import type { LlmGateway } from '../llm/llm-gateway.js';
import { llmNotConfigured } from './pipeline-stages.js';
import type { CreatePipeline } from './pipeline.schemas.js';

export interface PipelineServiceDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  /** How long the deploy's approval may wait (APPROVAL_TIMEOUT_SECONDS). */
  approvalTimeoutMs: number;
  /** How long a failed pipeline waits for a retry (PIPELINE_RETRY_WINDOW_SECONDS). */
  retryWindowMs: number;
  llm?: LlmGateway;
}

const FINAL = new Set<PipelineStatus>(['succeeded', 'cancelled']);
const emptyStage = (): PipelineStageRecord => ({
  status: 'pending',
  attempts: 0,
  startedAt: null,
  endedAt: null,
  error: null,
  costUsd: 0,
  llmCalls: [],
  steps: {},
});

/** The pipelines door: checks a request, writes its row and audit in one transaction, starts, cancels and retries its workflow. */
export class PipelineService {
  readonly pipelines: PipelineRepository;
  private readonly agents: AgentRepository;
  private readonly sandboxes: SandboxRepository;

  constructor(private readonly deps: PipelineServiceDeps) {
    this.pipelines = new PipelineRepository(deps.db);
    this.agents = new AgentRepository(deps.db);
    this.sandboxes = new SandboxRepository(deps.db);
  }

  /**
   * Validates everything the run will need before anything starts: the agent in the org, the deploy and
   * named capabilities on it, each sandbox the agent's, running and of its own target, and an LLM provider
   * (409 llm_not_configured). Then the row, its audit, and the workflow.
   */
  async create(actor: Actor, body: CreatePipeline): Promise<PipelineRow> {
    const agent = await this.agents.get(actor.orgId, body.agentId);
    const names = new Set(agent.capabilities.map((c) => c.name));
    const wanted = [body.deployTarget?.capability, ...Object.values(body.capabilities ?? {})].filter(
      (c): c is string => c !== undefined,
    );
    const missing = wanted.find((c) => !names.has(c));
    if (missing)
      throw badRequest('unknown_capability', `Agent "${agent.name}" has no capability "${missing}"`, {
        available: [...names],
      });
    const sandboxIds = [...new Set([...(body.sandboxId ? [body.sandboxId] : []), ...(body.sandboxIds ?? [])])];
    const targets = new Set<string>();
    for (const id of sandboxIds) {
      const sandbox = await this.sandboxes.get(actor.orgId, id);
      if (sandbox.agent_id !== agent.id) throw notFound('sandbox', id);
      if (sandbox.status !== 'running')
        throw conflict(`Sandbox ${id} is ${sandbox.status}, not running`, { sandboxId: id, status: sandbox.status });
      if (targets.has(sandbox.target))
        throw badRequest('duplicate_sandbox_target', `Two sandboxes of target ${sandbox.target} were given`);
      targets.add(sandbox.target);
    }
    if (!this.deps.llm) throw llmNotConfigured();
    await this.deps.llm.assertConfigured(actor.orgId);

    const id = randomUUID();
    const row = await this.deps.db.transaction(async (trx) => {
      const created = await new PipelineRepository(trx).create({
        id,
        org_id: actor.orgId,
        agent_id: agent.id,
        requested_by: actor.userId,
        requirements: body.requirements,
        project: body.project,
        deploy_target: body.deployTarget ?? null,
        sandbox_ids: sandboxIds,
        capabilities: (body.capabilities ?? {}) as Record<string, string>,
        stages: Object.fromEntries(PIPELINE_STAGES.map((s) => [s, emptyStage()])) as PipelineRow['stages'],
        workflow_id: pipelineWorkflowId(id),
      });
      await new AuditRepository(trx).record(
        auditEvent(actor, 'pipeline.requested', 'pipeline', id, { agentId: agent.id, sandboxIds }),
        trx,
      );
      return created;
    });
    try {
      await this.deps.temporal.workflow.start<PipelineWorkflow>(PIPELINE_WORKFLOW, {
        taskQueue: this.deps.taskQueue,
        workflowId: row.workflow_id,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        args: [
          {
            pipelineId: id,
            orgId: actor.orgId,
            agentId: agent.id,
            requestedBy: actor.userId,
            hasDeployTarget: body.deployTarget !== undefined,
            approvalTimeoutMs: this.deps.approvalTimeoutMs,
            retryWindowMs: this.deps.retryWindowMs,
          },
        ],
        typedSearchAttributes: [
          { key: OrgIdKey, value: actor.orgId },
          { key: AgentIdKey, value: agent.id },
          { key: StatusKey, value: 'running' },
        ],
      });
    } catch {
      const error = { code: 'temporal_unavailable', message: 'The pipeline could not be started' };
      await this.pipelines.update(id, { status: 'failed', error, completed_at: new Date() });
      throw new AppError('temporal_unavailable', 503, 'The pipeline was recorded but could not be started', {
        pipelineId: id,
      });
    }
    return row;
  }

  list(orgId: string, filter: Parameters<PipelineRepository['list']>[1]) {
    return this.pipelines.list(orgId, filter);
  }

  /** The pipeline with its artifacts (without content) and the invocations its steps made. */
  async get(orgId: string, id: string) {
    const row = await this.pipelines.get(orgId, id);
    const [artifacts, invocations] = await Promise.all([
      this.pipelines.artifacts(id),
      new InvocationRepository(this.deps.db).forPipeline(orgId, id),
    ]);
    return { row, artifacts, invocations };
  }

  artifact(orgId: string, id: string, artifactId: string) {
    return this.pipelines.artifact(orgId, id, artifactId);
  }

  /** Cancels a pipeline that has not ended (its running children with it); its requester or an admin. */
  async cancel(actor: Actor, id: string): Promise<PipelineRow> {
    const row = await this.mayChange(actor, id, 'cancel');
    if (FINAL.has(row.status)) throw conflict(`The pipeline already ended (${row.status})`, { status: row.status });
    await this.deps.db.transaction(async (trx) => {
      await new PipelineRepository(trx).update(id, { cancel_requested_by: actor.userId });
      await new AuditRepository(trx).record(auditEvent(actor, 'pipeline.cancel_requested', 'pipeline', id), trx);
    });
    const handle = this.deps.temporal.workflow.getHandle(row.workflow_id);
    try {
      await handle.cancel();
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      throw conflict('The pipeline already ended', { status: row.status });
    }
    // Give the workflow a moment to record the cancellation so the answer usually shows it.
    await Promise.race([handle.result().catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
    return this.pipelines.get(actor.orgId, id);
  }

  /** Runs the failed stage again (409 unless one failed and its retry window is open). */
  async retry(actor: Actor, id: string): Promise<PipelineRow> {
    const row = await this.mayChange(actor, id, 'retry');
    const notFailed = () =>
      new AppError(PIPELINE_NOT_FAILED, 409, `The pipeline is ${row.status}; only a failed pipeline can be retried`, {
        status: row.status,
      });
    if (row.status !== 'failed') throw notFailed();
    await new AuditRepository(this.deps.db).record(auditEvent(actor, 'pipeline.retry_requested', 'pipeline', id));
    try {
      await this.deps.temporal.workflow
        .getHandle(row.workflow_id)
        .executeUpdate(retryPipelineUpdate, { args: [{ requestedBy: actor.userId }] });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw notFailed();
      if (err instanceof WorkflowNotFoundError || /already completed/i.test(String((err as Error)?.message)))
        throw new AppError('retry_window_closed', 409, 'The pipeline ended for good: its retry window has passed');
      throw err;
    }
    return this.pipelines.get(actor.orgId, id);
  }

  private async mayChange(actor: Actor, id: string, what: string): Promise<PipelineRow> {
    const row = await this.pipelines.get(actor.orgId, id);
    if (row.requested_by !== actor.userId && actor.role !== 'admin')
      throw new AppError(`${what}_forbidden`, 403, `Only the requester or an admin may ${what} this pipeline`, {
        role: actor.role,
      });
    return row;
  }
}
