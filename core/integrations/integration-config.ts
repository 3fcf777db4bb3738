import { z } from 'zod';
import type { IntegrationSpec } from './integration.js';

/** `secret:NAME`, as env and headers take it (core/secrets/resolve.ts resolves it when the worker connects). */
export const SecretRef = z
  .string()
  .regex(/^secret:[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'a secret reference, secret:NAME (POST /v1/secrets first)');

const Region = z.string().regex(/^[a-z]{2,}(-[a-z0-9]+){1,3}$/, 'a region name such as us-east-1 or europe-west1');

/** A server of an integration, as `POST /v1/mcp-servers {template, config}` takes it. */
export interface IntegrationConfig {
  baseUrl?: string;
  region?: string;
  credentials?: string;
  tools?: string[];
  options: Record<string, string | boolean>;
}

/**
 * The config schema of one integration: baseUrl, region, credentials (`secret:NAME`; without one the
 * server serves sandboxes only), tools (a subset of its own, by name) and its own fields; unknown keys refused.
 */
export function integrationConfigSchema(spec: IntegrationSpec): z.ZodType<IntegrationConfig> {
  const names = spec.tools.map((t) => t.name) as [string, ...string[]];
  const own: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(spec.config)) {
    if (key === 'baseUrl' || key === 'region') continue;
    const base =
      field.type === 'boolean'
        ? z.boolean()
        : field.type === 'url'
          ? z.url({ protocol: /^https?$/ })
          : z
              .string()
              .min(1)
              .max(256)
              .regex(/^[^\0\r\n]*$/, 'one line');
    own[key] = field.required ? base : base.optional();
  }
  const baseUrl = z.url({ protocol: /^https?$/ }).max(2048);
  return z
    .strictObject({
      baseUrl: spec.config.baseUrl?.required ? baseUrl : baseUrl.optional(),
      region: spec.config.region?.required ? Region : Region.optional(),
      credentials: SecretRef.optional(),
      tools: z
        .array(z.enum(names, { message: `one of ${spec.name}'s tools: ${names.join(', ')}` }))
        .min(1)
        .max(names.length)
        .refine((t) => new Set(t).size === t.length, 'each tool once')
        .optional(),
      ...own,
    })
    .transform(({ baseUrl: b, region, credentials, tools, ...options }) => ({
      ...(b !== undefined ? { baseUrl: b } : {}),
      ...(region !== undefined ? { region } : {}),
      ...(credentials !== undefined ? { credentials } : {}),
      ...(tools !== undefined ? { tools } : {}),
      options: options as Record<string, string | boolean>,
    }))
    .superRefine((config, ctx) => {
      for (const problem of spec.checkConfig?.(config) ?? [])
        ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
    }) as unknown as z.ZodType<IntegrationConfig>;
}
