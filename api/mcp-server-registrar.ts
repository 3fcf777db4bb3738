import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { AuditRepository } from '../core/db/audit.repository.js';
import type { Db } from '../core/db/knex.js';
import { McpServerRepository, type NewMcpServer } from '../core/db/mcp-server.repository.js';
import type { McpServerRow } from '../core/db/rows.js';
import type { Severity } from '../core/severity.js';
import type { Principal } from '../core/identity/identity.service.js';
import { badRequest, forbidden } from '../core/errors.js';
import { isBelow, SEVERITIES } from '../core/severity.js';
import { StdioCommandRefused, type StdioCommandPolicy } from '../core/mcp/stdio-commands.js';
import { expandTemplate, type TemplateConfig, type TemplateName } from '../core/mcp/templates.js';
import { inWorkspace, OutsideWorkspaceError } from '../core/mcp/workspace.js';
import { EgressDenied, type EgressPolicy } from '../core/net/egress.js';
import { referencedSecrets, UnknownSecretError } from '../core/secrets/resolve.js';
import { SecretVault } from '../core/secrets/vault.js';
import { MCP_SERVER_WORKFLOW, mcpServerWorkflowId, type McpServerWorkflow } from '../contracts/mcp-server.contract.js';
import { OrgIdKey, StatusKey } from '../contracts/search-attributes.js';
import { pollUntil } from '../core/wait.js';

export const ResourceName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, 'letters, digits, _ and -, at most 63, starting with a letter or digit');
const StringMap = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'a variable or header name'), z.string().max(8192));

export const McpServerLimitsSchema = z.strictObject({
  timeoutMs: z.number().int().min(100).max(15 * 60_000).optional(),
  maxConcurrency: z.number().int().min(1).max(1000).optional(),
  ratePerSecond: z.number().positive().max(10_000).optional(),
  orgRatePerSecond: z.number().positive().max(10_000).optional(),
  breakerThreshold: z.number().int().min(1).max(1000).optional(),
  breakerCooldownMs: z.number().int().min(100).max(3_600_000).optional(),
  maxResultBytes: z.number().int().min(1024).max(64 * 1024 * 1024).optional(),
  // A stdio server's process (core/mcp/sandbox.ts ProcessLimits).
  memoryMb: z.number().int().min(256).max(65_536).optional(),
  cpuSeconds: z.number().int().min(10).max(7 * 86_400).optional(),
  maxProcesses: z.number().int().min(16).max(4096).optional(),
  maxOpenFiles: z.number().int().min(64).max(65_536).optional(),
});
const Severity = z.enum(SEVERITIES);
const Common = { name: ResourceName, securityLevel: Severity.optional(), limits: McpServerLimitsSchema.default({}) };

const StdioServer = z.strictObject({
  ...Common,
  transport: z.literal('stdio'),
  command: z.string().min(1).max(1024),
  args: z.array(z.string().max(4096)).max(100).default([]),
  env: StringMap.default({}),
  /** false: the sandbox gets a network namespace of its own, with no route anywhere. */
  network: z.boolean().default(false),
});
const HttpServer = z.strictObject({ ...Common, transport: z.literal('http'), url: z.url({ protocol: /^https?$/ }), headers: StringMap.default({}) });
const TemplateServer = z.strictObject({
  ...Common,
  network: z.boolean().optional(),
  template: z.enum(['filesystem', 'memory', 'everything', 'openapi']),
  config: z.record(z.string(), z.unknown()).default({}),
});
// Paths are taken inside the org's workspace (relative ones from it); the registrar checks they stay there.
const WorkspacePath = z.string().min(1).max(4096);
const TemplateConfigSchemas = {
  filesystem: z.strictObject({ paths: z.array(WorkspacePath).min(1).max(20).default(['.']) }),
  memory: z.strictObject({ file: WorkspacePath.optional() }),
  everything: z.strictObject({}),
  openapi: z.strictObject({ spec: z.string().min(1).max(4096), baseUrl: z.url({ protocol: /^https?$/ }), headers: StringMap.optional() }),
} as const;

/** A server body: a stdio command, an HTTP endpoint, or `{template, config}`. */
export const CreateMcpServerSchema = z.union([StdioServer, HttpServer, TemplateServer]);
export type CreateMcpServer = z.infer<typeof CreateMcpServerSchema>;

export class TemplateConfigError extends Error {
  constructor(readonly issues: { path: string; message: string }[]) {
    super('The template config is invalid');
  }
}

export interface RegistrarDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  healthIntervalMs: number;
  /** Root of per-server working dirs (`<COLLEXA_DATA_DIR>/mcp`): templates keep their files there. */
  workRoot: string;
  /** WORKSPACE_ROOT: template paths must lie in `<workspaceRoot>/<orgId>`. */
  workspaceRoot: string;
  /** Where URLs a tenant names may point (EGRESS_ALLOW). */
  egress: EgressPolicy;
  /** What raw stdio servers may run (MCP_STDIO_COMMANDS). */
  stdioCommands: StdioCommandPolicy;
}


/** Registers MCP servers: expands templates, stores the row, starts its lifecycle workflow. */
export class McpServerRegistrar {
  private readonly servers: McpServerRepository;
  private readonly audit: AuditRepository;

  constructor(private readonly deps: RegistrarDeps) {
    this.servers = new McpServerRepository(deps.db);
    this.audit = new AuditRepository(deps.db);
  }

  /**
   * Checks who may register what, then stores the row and starts the lifecycle. Raw stdio commands need an
   * admin and an allowed executable; binding a `secret:` reference needs an admin (audited as
   * mcp_server.secret_bound); URLs must pass the egress policy; template paths stay in the org's workspace.
   */
  async register(p: Principal, body: CreateMcpServer, opts: { waitSeconds: number; requestId?: string }): Promise<McpServerRow> {
    const id = randomUUID();
    // Who may: before anything is resolved or looked up for the body.
    const bound = referencedSecrets({ ...('env' in body ? body.env : {}), ...('headers' in body ? body.headers : {}) });
    if (bound.length > 0 && p.role !== 'admin') throw forbidden('Binding a secret: reference to an MCP server needs the admin role', { secrets: bound, role: p.role });
    const { fields, defaultLevel } = await this.toRow(p, id, body);
    // Limits and a security level below the default loosen how the server is governed: an admin's call.
    if (p.role !== 'admin' && (Object.keys(body.limits ?? {}).length > 0 || isBelow(fields.security_level!, defaultLevel))) {
      throw forbidden('Setting limits or lowering the security level of an MCP server needs the admin role', { role: p.role, securityLevel: fields.security_level, defaultSecurityLevel: defaultLevel });
    }
    if (bound.length > 0) {
      const known = new Set((await new SecretVault(this.deps.db).list(p.orgId)).map((r) => r.name));
      const missing = bound.filter((n) => !known.has(n));
      if (missing.length > 0) throw new UnknownSecretError(body.name, missing);
    }
    const row = await this.deps.db.transaction(async (trx) => {
      const created = await new McpServerRepository(trx).create({ id, org_id: p.orgId, ...fields });
      const base = { org_id: p.orgId, actor: `user:${p.userId}`, subject_type: 'mcp_server', subject_id: created.id, request_id: opts.requestId ?? null };
      await this.audit.record({ ...base, action: 'mcp_server.created', data: { name: created.name, transport: created.transport, template: created.template, network: created.network } }, trx);
      if (bound.length > 0) await this.audit.record({ ...base, action: 'mcp_server.secret_bound', data: { name: created.name, secrets: bound } }, trx);
      return created;
    });
    return this.startLifecycle(row, opts.waitSeconds);
  }

  /** The row to store, and the security level the server would have without an explicit one. */
  private async toRow(p: Principal, id: string, body: CreateMcpServer): Promise<{ fields: Omit<NewMcpServer, 'org_id' | 'id'>; defaultLevel: Severity }> {
    const common = { name: body.name, limits: body.limits, security_level: body.securityLevel ?? 'medium' };
    if ('template' in body) {
      const schema = TemplateConfigSchemas[body.template];
      const parsed = schema.safeParse(body.config);
      if (!parsed.success) throw new TemplateConfigError(parsed.error.issues.map((i) => ({ path: ['config', ...i.path].join('.'), message: i.message })));
      const config = await this.checkTemplateConfig(p, body.template, parsed.data as TemplateConfig[TemplateName]);
      const t = expandTemplate(body.template as TemplateName, config, path.join(this.deps.workRoot, id));
      if (body.network === true && !t.network && p.role !== 'admin') throw forbidden(`Giving the ${body.template} template network access needs the admin role`, { template: body.template, role: p.role });
      const fields = {
        ...common,
        transport: 'stdio' as const,
        command: t.command,
        args: t.args,
        env: t.env,
        url: null,
        headers: {},
        security_level: body.securityLevel ?? t.securityLevel,
        network: body.network ?? t.network,
        template: body.template,
        sandbox: { writablePaths: t.writablePaths, readablePaths: t.readablePaths, files: t.files },
      };
      return { fields, defaultLevel: t.securityLevel };
    }
    if (body.transport === 'stdio') {
      if (p.role !== 'admin') throw forbidden('Registering a stdio command needs the admin role; developers register templates and http servers', { role: p.role });
      let resolved: { command: string; args: string[] };
      try {
        resolved = this.deps.stdioCommands.resolve(body.command, body.args);
      } catch (err) {
        if (err instanceof StdioCommandRefused) throw badRequest('stdio_command_not_allowed', err.message, { command: body.command, allowed: err.allowed });
        throw err;
      }
      return { fields: { ...common, transport: 'stdio', command: resolved.command, args: resolved.args, env: body.env, url: null, headers: {}, network: body.network }, defaultLevel: 'medium' };
    }
    await this.checkEgress(body.url, 'url');
    return { fields: { ...common, transport: 'http', command: null, args: [], env: {}, url: body.url, headers: body.headers, network: true }, defaultLevel: 'medium' };
  }

  /** Template paths inside the org's workspace; URLs the egress policy allows. */
  private async checkTemplateConfig(p: Principal, template: TemplateName, config: TemplateConfig[TemplateName]): Promise<TemplateConfig[TemplateName]> {
    const inside = (given: string, field: string) => {
      try {
        return inWorkspace(this.deps.workspaceRoot, p.orgId, given);
      } catch (err) {
        if (err instanceof OutsideWorkspaceError) throw new TemplateConfigError([{ path: `config.${field}`, message: err.message }]);
        throw err;
      }
    };
    if (template === 'filesystem') {
      const c = config as TemplateConfig['filesystem'];
      return { paths: c.paths.map((given, i) => inside(given, `paths.${i}`)) };
    }
    if (template === 'memory') {
      const c = config as TemplateConfig['memory'];
      return c.file === undefined ? {} : { file: inside(c.file, 'file') };
    }
    if (template === 'openapi') {
      const c = config as TemplateConfig['openapi'];
      await this.checkEgress(c.baseUrl, 'config.baseUrl');
      const spec = /^https?:\/\//i.test(c.spec) ? (await this.checkEgress(c.spec, 'config.spec'), c.spec) : inside(c.spec, 'spec');
      return { ...c, spec };
    }
    return config;
  }

  private async checkEgress(url: string, field: string): Promise<void> {
    try {
      await this.deps.egress.checkUrl(url);
    } catch (err) {
      if (err instanceof EgressDenied) throw badRequest('egress_denied', `${field}: ${err.reason}`, { field, ...err.target });
      throw err;
    }
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
    return pollUntil(() => this.servers.get(row.org_id, row.id), (s) => s.status !== 'starting', waitSeconds * 1000, 100);
  }
}
