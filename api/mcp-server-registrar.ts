import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { AuditRepository } from '../core/db/audit.repository.js';
import type { Db } from '../core/db/knex.js';
import { McpServerRepository, type NewMcpServer } from '../core/db/mcp-server.repository.js';
import type { McpServerRow } from '../core/db/rows.js';
import type { Principal } from '../core/identity/identity.service.js';
import { expandTemplate, type TemplateConfig, type TemplateName } from '../core/mcp/templates.js';
import type { mcpServerWorkflow } from '../workflows/index.js';
import { mcpServerWorkflowId } from '../workflows/mcp-server.messages.js';
import { OrgIdKey, StatusKey } from '../workflows/search-attributes.js';
import { pollUntil } from './poll.js';

export const ResourceName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, 'letters, digits, _ and -, at most 63, starting with a letter or digit');
const StringMap = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'a variable or header name'), z.string().max(8192));
const AbsolutePath = z.string().min(1).max(4096).refine((p) => path.isAbsolute(p), 'an absolute path');

export const McpServerLimitsSchema = z.strictObject({
  timeoutMs: z.number().int().min(100).max(15 * 60_000).optional(),
  maxConcurrency: z.number().int().min(1).max(1000).optional(),
  ratePerSecond: z.number().positive().max(10_000).optional(),
  orgRatePerSecond: z.number().positive().max(10_000).optional(),
  breakerThreshold: z.number().int().min(1).max(1000).optional(),
  breakerCooldownMs: z.number().int().min(100).max(3_600_000).optional(),
  maxResultBytes: z.number().int().min(1024).max(64 * 1024 * 1024).optional(),
});
const SecurityLevel = z.enum(['low', 'medium', 'high', 'critical']);
const Common = { name: ResourceName, securityLevel: SecurityLevel.optional(), limits: McpServerLimitsSchema.default({}) };

const StdioServer = z.strictObject({
  ...Common,
  transport: z.literal('stdio'),
  command: z.string().min(1).max(1024),
  args: z.array(z.string().max(4096)).max(100).default([]),
  env: StringMap.default({}),
  /** false: run in an OS sandbox without network access. */
  network: z.boolean().default(true),
});
const HttpServer = z.strictObject({ ...Common, transport: z.literal('http'), url: z.url({ protocol: /^https?$/ }), headers: StringMap.default({}) });
const TemplateServer = z.strictObject({
  ...Common,
  network: z.boolean().optional(),
  template: z.enum(['filesystem', 'memory', 'everything', 'openapi']),
  config: z.record(z.string(), z.unknown()).default({}),
});
const TemplateConfigSchemas = {
  filesystem: z.strictObject({ paths: z.array(AbsolutePath).min(1).max(20) }),
  memory: z.strictObject({ file: AbsolutePath.optional() }),
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
}

/** Registers MCP servers: expands templates, stores the row, starts its lifecycle workflow. */
export class McpServerRegistrar {
  private readonly servers: McpServerRepository;
  private readonly audit: AuditRepository;

  constructor(private readonly deps: RegistrarDeps) {
    this.servers = new McpServerRepository(deps.db);
    this.audit = new AuditRepository(deps.db);
  }

  async register(p: Principal, body: CreateMcpServer, opts: { waitSeconds: number; requestId?: string }): Promise<McpServerRow> {
    const id = randomUUID();
    const row = await this.servers.create({ id, org_id: p.orgId, ...this.toRow(id, body) });
    await this.audit.record({
      org_id: p.orgId,
      actor: `user:${p.userId}`,
      action: 'mcp_server.created',
      subject_type: 'mcp_server',
      subject_id: row.id,
      request_id: opts.requestId ?? null,
      data: { name: row.name, transport: row.transport, template: row.template },
    });
    return this.startLifecycle(row, opts.waitSeconds);
  }

  private toRow(id: string, body: CreateMcpServer): Omit<NewMcpServer, 'org_id' | 'id'> {
    if ('template' in body) {
      const schema = TemplateConfigSchemas[body.template];
      const parsed = schema.safeParse(body.config);
      if (!parsed.success) throw new TemplateConfigError(parsed.error.issues.map((i) => ({ path: ['config', ...i.path].join('.'), message: i.message })));
      const t = expandTemplate(body.template as TemplateName, parsed.data as TemplateConfig[TemplateName], path.join(this.deps.workRoot, id));
      return {
        name: body.name,
        transport: 'stdio',
        command: t.command,
        args: t.args,
        env: t.env,
        url: null,
        headers: {},
        security_level: body.securityLevel ?? t.securityLevel,
        limits: body.limits,
        network: body.network ?? t.network,
        template: body.template,
      };
    }
    if (body.transport === 'stdio') {
      return { name: body.name, transport: 'stdio', command: body.command, args: body.args, env: body.env, url: null, headers: {}, security_level: body.securityLevel ?? 'medium', limits: body.limits, network: body.network };
    }
    return { name: body.name, transport: 'http', command: null, args: [], env: {}, url: body.url, headers: body.headers, security_level: body.securityLevel ?? 'medium', limits: body.limits, network: true };
  }

  /** Starts the server's lifecycle workflow; with `waitSeconds`, holds on until the first probe is done. */
  private async startLifecycle(row: McpServerRow, waitSeconds: number): Promise<McpServerRow> {
    const workflowId = mcpServerWorkflowId(row.id);
    await this.deps.temporal.workflow.start<typeof mcpServerWorkflow>('mcpServerWorkflow', {
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
