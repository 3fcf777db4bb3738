import { integrationSpec } from '../integrations/catalog.js';
import { integrationConfigSchema } from '../integrations/integration-config.js';
import { SANDBOX_ONLY_BASE_URL, type IntegrationName } from '../integrations/integration.js';
import { integrationLaunch, servedTools } from '../integrations/launch.js';
import type { IntegrationSettings } from '../integrations/server/handler.js';
import { EgressDenied, type EgressPolicy } from '../net/egress.js';
import { badRequest } from '../errors.js';
import { TemplateConfigError } from './mcp-server.schemas.js';

export { SANDBOX_ONLY_BASE_URL };

/**
 * The stdio server an integration template stands for: its config checked (tools its own, URLs a tenant
 * gave allowed by the egress policy), its connected endpoints, and the launch of its MCP server.
 */
export async function integrationFields(egress: EgressPolicy, name: IntegrationName, given: unknown) {
  const spec = integrationSpec(name);
  if (!spec) throw badRequest('unknown_template', `No integration named ${name}`, { template: name });
  const parsed = integrationConfigSchema(spec).safeParse(given ?? {});
  if (!parsed.success)
    throw new TemplateConfigError(
      parsed.error.issues.map((i) => ({ path: ['config', ...i.path].join('.'), message: i.message })),
    );
  const config = parsed.data;
  // A URL a tenant gives: its shape now (scheme, no credentials, an IP literal the policy refuses), its
  // addresses on every connection, by the egress proxy the server goes out through (a name resolved here
  // could resolve elsewhere later, and a site need not resolve from where the API runs).
  for (const [key, field] of Object.entries(spec.config))
    if (field.type === 'url') {
      const value = key === 'baseUrl' ? config.baseUrl : config.options[key];
      if (typeof value === 'string') checkShape(egress, value, `config.${key}`);
    }
  const region = config.region ?? spec.config.region?.default;
  const endpoints = spec.connectedEndpoints({
    ...(config.baseUrl !== undefined ? { baseUrl: config.baseUrl } : {}),
    ...(region !== undefined ? { region } : {}),
    options: config.options,
  });
  for (const [service, url] of Object.entries(endpoints))
    if (url !== SANDBOX_ONLY_BASE_URL) checkShape(egress, url, `${service} endpoint`);
  const settings: IntegrationSettings = {
    integration: name,
    endpoints,
    tools: servedTools(spec, config.tools),
    ...(region !== undefined ? { region } : {}),
    options: config.options,
  };
  const launch = integrationLaunch(settings, config.credentials);
  return {
    fields: {
      transport: 'stdio' as const,
      command: launch.command,
      args: launch.args,
      env: launch.env,
      url: null,
      headers: {},
      network: true,
      template: name,
      sandbox: { writablePaths: [], readablePaths: [], files: [], shippedFiles: launch.shippedFiles },
      sandbox_target: spec.sandbox.target,
    },
    defaultLevel: spec.securityLevel,
  };
}

/** The checks of a URL that need no DNS; the addresses are the egress proxy's to check when it connects. */
function checkShape(egress: EgressPolicy, url: string, field: string): void {
  try {
    egress.checkUrlShape(url);
  } catch (err) {
    if (err instanceof EgressDenied) throw badRequest('egress_denied', `${field}: ${err.reason}`, { field });
    throw err;
  }
}
