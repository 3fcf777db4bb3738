import { randomUUID } from 'node:crypto';
import { integrationForTarget } from '../integrations/catalog.js';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { z } from 'zod';
import {
  isTerminalSandbox,
  resetSandboxUpdate,
  SANDBOX_MODES,
  SANDBOX_WORKFLOW,
  sandboxWorkflowId,
  stopSandboxSignal,
  type SandboxWorkflow,
} from '../../contracts/sandbox.contract.js';
import { OrgIdKey, StatusKey } from '../../contracts/search-attributes.js';
import { AgentRepository } from '../db/agent.repository.js';
import { AuditRepository } from '../db/audit.repository.js';
import type { Db } from '../db/knex.js';
import type { SandboxRow } from '../db/rows.js';
import { SandboxRepository } from '../db/sandbox.repository.js';
import { AppError, badRequest, conflict } from '../errors.js';
import { auditEvent, type Actor } from '../identity/actor.js';
import type { Logger } from '../log.js';
import type { SandboxTargetService } from './targets/target.service.js';
import { TargetName } from './targets/target.service.js';

/** Sandbox limits and durations (SANDBOX_* config). */
export interface SandboxSettings {
  maxPerOrg: number;
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
  idleMs: number;
}

const HeaderValue = z.string().max(4096);
export const CreateSandboxSchema = z.strictObject({
  target: TargetName,
  mode: z.enum(SANDBOX_MODES),
  /** Connected mode: headers for the real system (values may be `secret:NAME` references to the vault). */
  config: z
    .strictObject({ headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,100}$/), HeaderValue).optional() })
    .default({}),
  /** Seconds the sandbox may live once it runs (default SANDBOX_DEFAULT_TTL_SECONDS, max SANDBOX_MAX_TTL_SECONDS). */
  ttl: z.number().int().min(10).optional(),
});
export type CreateSandbox = z.infer<typeof CreateSandboxSchema>;

export interface SandboxServiceDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  approvalTimeoutMs: number;
  targets: SandboxTargetService;
  settings: SandboxSettings;
}

/** Creates, lists, resets and stops sandboxes; each one's life is its sandboxWorkflow. */
export class SandboxService {
  private readonly sandboxes: SandboxRepository;
  private readonly agents: AgentRepository;

  constructor(private readonly deps: SandboxServiceDeps) {
    this.sandboxes = new SandboxRepository(deps.db);
    this.agents = new AgentRepository(deps.db);
  }

  async create(actor: Actor, agentId: string, body: CreateSandbox, log?: Logger): Promise<SandboxRow> {
    const { settings } = this.deps;
    const agent = await this.agents.get(actor.orgId, agentId);
    const target = await this.deps.targets.resolve(actor.orgId, body.target);
    const ttl = body.ttl ?? settings.defaultTtlSeconds;
    if (ttl > settings.maxTtlSeconds)
      throw badRequest(
        'invalid_ttl',
        `ttl may be at most ${settings.maxTtlSeconds} seconds (SANDBOX_MAX_TTL_SECONDS)`,
        {
          max: settings.maxTtlSeconds,
        },
      );
    const integration = integrationForTarget(target.name);
    if (integration && body.mode === 'connected')
      throw badRequest(
        'connect_through_integration',
        `Target ${target.name} connects through the ${integration.name} integration's own server: invoke without sandboxId (a high-risk capability waits for approval)`,
        { target: target.name, integration: integration.name },
      );
    if (integration && !integration.sandbox.modes[body.mode as 'mock' | 'emulated'])
      throw badRequest(
        'sandbox_mode_unsupported',
        `Target ${target.name} offers ${Object.keys(integration.sandbox.modes).join(' and ')} sandboxes, not ${body.mode}`,
        { target: target.name, modes: Object.keys(integration.sandbox.modes) },
      );
    if (body.mode === 'connected' && !target.baseUrl)
      throw badRequest('no_base_url', `Target ${target.name} names no real system (baseUrl) to connect to`);
    if (body.mode !== 'connected' && body.config.headers)
      throw badRequest(
        'headers_connected_only',
        'config.headers are for connected sandboxes (mock and emulated ones need none)',
      );
    const live = await this.sandboxes.countLive(actor.orgId);
    if (live >= settings.maxPerOrg)
      throw new AppError(
        'sandbox_limit',
        429,
        `The organization already has ${live} sandboxes (SANDBOX_MAX_PER_ORG ${settings.maxPerOrg}); delete one first`,
        { limit: settings.maxPerOrg },
      );
    const id = randomUUID();
    const row = await this.deps.db.transaction(async (trx) => {
      const created = await new SandboxRepository(trx).create({
        id,
        org_id: actor.orgId,
        agent_id: agent.id,
        target: target.name,
        mode: body.mode,
        status: body.mode === 'connected' ? 'pending_approval' : 'provisioning',
        config: body.config,
        ttl_seconds: ttl,
        workflow_id: sandboxWorkflowId(id),
        requested_by: actor.userId,
      });
      await new AuditRepository(trx).record(
        auditEvent(actor, 'sandbox.created', 'sandbox', id, {
          agentId: agent.id,
          target: target.name,
          mode: body.mode,
          ttl,
        }),
      );
      return created;
    });
    try {
      await this.deps.temporal.workflow.start<SandboxWorkflow>(SANDBOX_WORKFLOW, {
        taskQueue: this.deps.taskQueue,
        workflowId: row.workflow_id,
        args: [
          {
            sandboxId: id,
            orgId: actor.orgId,
            agentId: agent.id,
            mode: body.mode,
            requestedBy: actor.userId,
            ttlMs: ttl * 1000,
            idleMs: settings.idleMs,
            approvalTimeoutMs: this.deps.approvalTimeoutMs,
          },
        ],
        typedSearchAttributes: [
          { key: OrgIdKey, value: actor.orgId },
          { key: StatusKey, value: row.status },
        ],
      });
    } catch (err) {
      log?.error({ err, sandboxId: id }, 'could not start the sandbox workflow');
      await this.sandboxes.update(id, {
        status: 'failed',
        reason: 'its workflow could not be started',
        ended_at: new Date(),
      });
      throw new AppError('temporal_unavailable', 503, 'The sandbox could not be started; try again', { sandboxId: id });
    }
    return row;
  }

  get(orgId: string, id: string): Promise<SandboxRow> {
    return this.sandboxes.get(orgId, id);
  }

  list(orgId: string, filter: Parameters<SandboxRepository['list']>[1]) {
    return this.sandboxes.list(orgId, filter);
  }

  /** Puts a running sandbox back in its initial state (emulated: the seed; mock: stateless already). */
  async reset(actor: Actor, id: string): Promise<SandboxRow> {
    const row = await this.sandboxes.get(actor.orgId, id);
    if (row.status !== 'running') throw conflict(`The sandbox is ${row.status}, not running`, { status: row.status });
    if (row.mode === 'connected')
      throw conflict('A connected sandbox is the real system: it has no initial state to go back to');
    try {
      await this.deps.temporal.workflow.getHandle(row.workflow_id).executeUpdate(resetSandboxUpdate);
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError)
        throw conflict(`The sandbox could not be reset: ${err.cause?.message ?? err.message}`);
      throw err;
    }
    await this.audit(actor, 'sandbox.reset', id);
    return this.sandboxes.get(actor.orgId, id);
  }

  /** Stops the sandbox; teardown runs in its workflow. Answers the row as it stands (usually `stopping`). */
  async stop(actor: Actor, id: string): Promise<SandboxRow> {
    const row = await this.sandboxes.get(actor.orgId, id);
    if (isTerminalSandbox(row.status)) return row;
    await this.deps.temporal.workflow.getHandle(row.workflow_id).signal(stopSandboxSignal);
    await this.sandboxes.markStopping(id);
    await this.audit(actor, 'sandbox.stop_requested', id);
    return this.sandboxes.get(actor.orgId, id);
  }

  private audit(actor: Actor, action: string, sandboxId: string) {
    return new AuditRepository(this.deps.db).record(auditEvent(actor, action, 'sandbox', sandboxId));
  }
}
