import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Knex } from 'knex';
import {
  MCP_SERVER_WORKFLOW,
  mcpServerWorkflowId,
  stopSignal,
  type McpServerWorkflow,
} from '../../contracts/mcp-server.contract.js';
import { OrgIdKey, StatusKey } from '../../contracts/search-attributes.js';
import { AuditRepository } from '../db/audit.repository.js';
import { McpCatalogRepository } from '../db/mcp-catalog.repository.js';
import { McpServerRepository } from '../db/mcp-server.repository.js';
import type { McpServerRow, McpServerStatusEventRow } from '../db/rows.js';
import { AppError, badRequest, forbidden } from '../errors.js';
import { auditEvent, type Actor } from '../identity/actor.js';
import { effectiveLimits } from '../limits/defaults.js';
import { ExecutionLimits, type BreakerView } from '../limits/execution-limits.js';
import { referencedSecrets, UnknownSecretError } from '../secrets/resolve.js';
import { SecretVault } from '../secrets/vault.js';
import { isBelow } from '../severity.js';
import { pollUntil } from '../wait.js';
import { serverFields, type ServerFieldsDeps } from './mcp-server-fields.js';
import { TemplateConfigError, type CreateMcpServer } from './mcp-server.schemas.js';
import { entryBody, type ImportRefusal, type McpServersFile } from './mcp-servers-file.js';

export interface McpServerServiceDeps extends ServerFieldsDeps {
  db: Knex;
  temporal: Client;
  taskQueue: string;
  healthIntervalMs: number;
}

/** What an import did with each entry of the file. */
export interface ImportOutcome {
  created: McpServerRow[];
  skipped: { name: string; reason: string }[];
  errors: ImportRefusal[];
}

/**
 * The MCP servers door: checks who may register what, stores the row with its audit events in one
 * transaction, and starts (or stops) the server's lifecycle workflow, which a worker runs.
 */
export class McpServerService {
  private readonly servers: McpServerRepository;
  private readonly catalog: McpCatalogRepository;
  private readonly limits: ExecutionLimits;

  constructor(private readonly deps: McpServerServiceDeps) {
    this.servers = new McpServerRepository(deps.db);
    this.catalog = new McpCatalogRepository(deps.db);
    this.limits = new ExecutionLimits(deps.db);
  }

  list(orgId: string): Promise<McpServerRow[]> {
    return this.servers.list(orgId);
  }

  /** One server with its circuit breaker and its recent status changes (newest first). */
  async show(
    orgId: string,
    id: string,
  ): Promise<{ server: McpServerRow; breaker: BreakerView; statusHistory: McpServerStatusEventRow[] }> {
    const server = await this.servers.get(orgId, id);
    const statusHistory = await this.catalog.recentStatusEvents(id);
    const breaker = await this.limits.breakerView(server, effectiveLimits(server));
    return { server, breaker, statusHistory };
  }

  /**
   * Checks who may register what, then stores the row and starts the lifecycle; with `waitSeconds`, answers
   * after the first probe. Raw stdio commands need an admin and an allowed executable; binding a `secret:`
   * reference needs an admin (audited as mcp_server.secret_bound); URLs must pass the egress policy;
   * template paths stay in the org's workspace.
   */
  async register(actor: Actor, body: CreateMcpServer, waitSeconds: number): Promise<McpServerRow> {
    const id = randomUUID();
    // Who may: before anything is resolved or looked up for the body.
    const bound = referencedSecrets({
      ...('env' in body ? body.env : {}),
      ...('headers' in body ? body.headers : {}),
      ...('template' in body && typeof body.config.credentials === 'string'
        ? { credentials: body.config.credentials }
        : {}),
    });
    if (bound.length > 0 && actor.role !== 'admin')
      throw forbidden('Binding a secret: reference to an MCP server needs the admin role', {
        secrets: bound,
        role: actor.role,
      });
    const { fields, defaultLevel } = await serverFields(this.deps, actor, id, body);
    // Limits and a security level below the default loosen how the server is governed: an admin's call.
    if (
      actor.role !== 'admin' &&
      (Object.keys(body.limits ?? {}).length > 0 || isBelow(fields.security_level!, defaultLevel))
    ) {
      throw forbidden('Setting limits or lowering the security level of an MCP server needs the admin role', {
        role: actor.role,
        securityLevel: fields.security_level,
        defaultSecurityLevel: defaultLevel,
      });
    }
    if (bound.length > 0) {
      const known = new Set((await new SecretVault(this.deps.db).list(actor.orgId)).map((r) => r.name));
      const missing = bound.filter((n) => !known.has(n));
      if (missing.length > 0) throw new UnknownSecretError(body.name, missing);
    }
    const row = await this.deps.db.transaction(async (trx) => {
      const created = await new McpServerRepository(trx).create({ id, org_id: actor.orgId, ...fields });
      const audit = new AuditRepository(trx);
      await audit.record(
        auditEvent(actor, 'mcp_server.created', 'mcp_server', created.id, {
          name: created.name,
          transport: created.transport,
          template: created.template,
          network: created.network,
        }),
        trx,
      );
      if (bound.length > 0)
        await audit.record(
          auditEvent(actor, 'mcp_server.secret_bound', 'mcp_server', created.id, {
            name: created.name,
            secrets: bound,
          }),
          trx,
        );
      return created;
    });
    return this.startLifecycle(row, waitSeconds);
  }

  /** Registers every entry of an `{"mcpServers": {...}}` file it can; a 400 when none could be and some were refused. */
  async importFile(actor: Actor, file: McpServersFile, waitSeconds: number): Promise<ImportOutcome> {
    const outcome: ImportOutcome = { created: [], skipped: [], errors: [] };
    for (const [name, entry] of Object.entries(file.mcpServers)) {
      const e = entryBody(name, entry);
      if ('skipped' in e) outcome.skipped.push({ name, reason: e.skipped });
      if ('refused' in e) outcome.errors.push(e.refused);
      if (!('body' in e)) continue;
      try {
        outcome.created.push(await this.register(actor, e.body, waitSeconds));
      } catch (err) {
        if (err instanceof TemplateConfigError)
          outcome.errors.push({ name, code: 'validation_error', message: err.message, details: err.issues });
        else if (err instanceof AppError) outcome.errors.push({ name, code: err.code, message: err.message });
        else throw err;
      }
    }
    if (outcome.created.length === 0 && outcome.errors.length > 0)
      throw badRequest('import_failed', 'No server could be imported', { errors: outcome.errors });
    return outcome;
  }

  /**
   * Deletes the server (409 while agents use it) with its audit event, then stops the lifecycle: the worker
   * closes its connections (stopping a stdio process) and the workflow ends. Its next probe would also find
   * the server gone and do the same, should the signal not arrive.
   */
  async remove(actor: Actor, id: string): Promise<void> {
    const row = await this.deps.db.transaction(async (trx) => {
      const deleted = await new McpServerRepository(trx).delete(actor.orgId, id);
      await new AuditRepository(trx).record(auditEvent(actor, 'mcp_server.deleted', 'mcp_server', id), trx);
      return deleted;
    });
    if (!row.workflow_id) return;
    await this.deps.temporal.workflow
      .getHandle(row.workflow_id)
      .signal(stopSignal)
      .catch((err: unknown) => {
        if (!(err instanceof WorkflowNotFoundError) && !/already completed/i.test(String((err as Error).message)))
          throw err;
      });
  }

  /** Starts the server's lifecycle workflow; with `waitSeconds`, holds on until the first probe is done. */
  private async startLifecycle(row: McpServerRow, waitSeconds: number): Promise<McpServerRow> {
    const workflowId = mcpServerWorkflowId(row.id);
    await this.deps.temporal.workflow.start<McpServerWorkflow>(MCP_SERVER_WORKFLOW, {
      taskQueue: this.deps.taskQueue,
      workflowId,
      args: [{ serverId: row.id, orgId: row.org_id, healthIntervalMs: this.deps.healthIntervalMs }],
      typedSearchAttributes: [
        { key: OrgIdKey, value: row.org_id },
        { key: StatusKey, value: 'starting' },
      ],
    });
    await this.servers.setWorkflowId(row.id, workflowId);
    return pollUntil(
      () => this.servers.get(row.org_id, row.id),
      (s) => s.status !== 'starting',
      waitSeconds * 1000,
      100,
    );
  }
}
