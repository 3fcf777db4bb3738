import { z } from 'zod';
import { INTEGRATION_NAMES } from '../integrations/integration.js';
import { TEMPLATE_NAMES } from '../mcp/templates.js';
import { TargetName } from '../sandboxes/targets/target.service.js';
import { AppError } from '../errors.js';
import { ResourceName } from '../resource-name.js';
import { SEVERITIES } from '../severity.js';

const StringMap = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'a variable or header name'),
  z.string().max(8192),
);

export const McpServerLimitsSchema = z.strictObject({
  timeoutMs: z
    .number()
    .int()
    .min(100)
    .max(15 * 60_000)
    .optional(),
  maxConcurrency: z.number().int().min(1).max(1000).optional(),
  ratePerSecond: z.number().positive().max(10_000).optional(),
  orgRatePerSecond: z.number().positive().max(10_000).optional(),
  breakerThreshold: z.number().int().min(1).max(1000).optional(),
  breakerCooldownMs: z.number().int().min(100).max(3_600_000).optional(),
  maxResultBytes: z
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .optional(),
  // A stdio server's process (core/mcp/sandbox.ts ProcessLimits).
  memoryMb: z.number().int().min(256).max(65_536).optional(),
  cpuSeconds: z
    .number()
    .int()
    .min(10)
    .max(7 * 86_400)
    .optional(),
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
const HttpServer = z.strictObject({
  ...Common,
  transport: z.literal('http'),
  url: z.url({ protocol: /^https?$/ }),
  headers: StringMap.default({}),
});
const TemplateServer = z.strictObject({
  ...Common,
  network: z.boolean().optional(),
  template: z.enum([...TEMPLATE_NAMES, ...INTEGRATION_NAMES]),
  config: z.record(z.string(), z.unknown()).default({}),
});
// Paths are taken inside the org's workspace (relative ones from it); the service checks they stay there.
const WorkspacePath = z.string().min(1).max(4096);
export const TemplateConfigSchemas = {
  filesystem: z.strictObject({ paths: z.array(WorkspacePath).min(1).max(20).default(['.']) }),
  memory: z.strictObject({ file: WorkspacePath.optional() }),
  everything: z.strictObject({}),
  // The API an OpenAPI description stands for: a spec (file in the workspace, or URL) and its baseUrl, or a
  // sandbox target by name (its description; baseUrl defaults to the target's), which sandboxes then stand in for.
  openapi: z
    .strictObject({
      spec: z.string().min(1).max(4096).optional(),
      target: TargetName.optional(),
      baseUrl: z.url({ protocol: /^https?$/ }).optional(),
      headers: StringMap.optional(),
    })
    .refine((c) => (c.spec === undefined) !== (c.target === undefined), 'give either spec or target')
    .refine((c) => c.target !== undefined || c.baseUrl !== undefined, {
      message: 'required with spec',
      path: ['baseUrl'],
    }),
} as const;

/** A server body: a stdio command, an HTTP endpoint, or `{template, config}`. */
export const CreateMcpServerSchema = z.union([StdioServer, HttpServer, TemplateServer]);
export type CreateMcpServer = z.infer<typeof CreateMcpServerSchema>;

/** A template's config that its schema, or the org's workspace, refuses: a 400 validation_error listing the issues. */
export class TemplateConfigError extends AppError {
  constructor(readonly issues: { path: string; message: string }[]) {
    super('validation_error', 400, 'The template config is invalid', { issues });
    this.name = 'TemplateConfigError';
  }
}
