import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { NewMcpServer } from '../db/mcp-server.repository.js';
import { AppError, badRequest, forbidden } from '../errors.js';
import type { Actor } from '../identity/actor.js';
import { StdioCommandRefused, type StdioCommandPolicy } from '../mcp/stdio-commands.js';
import { expandTemplate, type TemplateConfig, type TemplateName } from '../mcp/templates.js';
import { inWorkspace, orgWorkspace, OutsideWorkspaceError } from '../mcp/workspace.js';
import type { SandboxTargetService } from '../sandboxes/targets/target.service.js';
import type { EgressPolicy } from '../net/egress.js';
import { checkEgressField } from '../net/egress-field.js';
import type { Severity } from '../severity.js';
import { integrationForTarget } from '../integrations/catalog.js';
import { isIntegrationName } from '../integrations/integration.js';
import { integrationFields, SANDBOX_ONLY_BASE_URL } from './integration-fields.js';
import { TemplateConfigSchemas, TemplateConfigError, type CreateMcpServer } from './mcp-server.schemas.js';

export interface ServerFieldsDeps {
  /** Root of per-server working dirs (`<COLLEXA_DATA_DIR>/mcp`): templates keep their files there. */
  workRoot: string;
  /** WORKSPACE_ROOT: template paths must lie in `<workspaceRoot>/<orgId>`. */
  workspaceRoot: string;
  /** Where URLs a tenant names may point (EGRESS_ALLOW). */
  egress: EgressPolicy;
  /** What raw stdio servers may run (MCP_STDIO_COMMANDS). */
  stdioCommands: StdioCommandPolicy;
  /** Sandbox targets an openapi template may front (`config.target`). */
  targets: SandboxTargetService;
}

export type ServerFields = Omit<NewMcpServer, 'org_id' | 'id'>;

/**
 * The row a server body becomes, checked: templates expanded (their paths inside the org's workspace),
 * raw stdio commands an admin's and allowed, URLs passing the egress policy. Also answers the security
 * level the server would have without an explicit one.
 */
export async function serverFields(
  deps: ServerFieldsDeps,
  actor: Actor,
  id: string,
  body: CreateMcpServer,
): Promise<{ fields: ServerFields; defaultLevel: Severity }> {
  const common = { name: body.name, limits: body.limits, security_level: body.securityLevel ?? 'medium' };
  if ('template' in body && isIntegrationName(body.template)) {
    const { fields, defaultLevel } = await integrationFields(deps.egress, body.template, body.config);
    return { fields: { ...common, ...fields, security_level: body.securityLevel ?? defaultLevel }, defaultLevel };
  }
  if ('template' in body) {
    const template = body.template as TemplateName;
    const schema = TemplateConfigSchemas[template];
    const parsed = schema.safeParse(body.config);
    if (!parsed.success)
      throw new TemplateConfigError(
        parsed.error.issues.map((i) => ({ path: ['config', ...i.path].join('.'), message: i.message })),
      );
    const given = parsed.data as TemplateConfig[TemplateName] & { target?: string };
    const config = await checkTemplateConfig(deps, actor, template, given);
    const t = expandTemplate(template, config, path.join(deps.workRoot, id));
    if (body.network === true && !t.network && actor.role !== 'admin')
      throw forbidden(`Giving the ${body.template} template network access needs the admin role`, {
        template: body.template,
        role: actor.role,
      });
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
      // The target it fronts: an agent's calls of its tools may be routed to that target's sandboxes.
      sandbox_target: given.target ?? null,
    };
    return { fields, defaultLevel: t.securityLevel };
  }
  if (body.transport === 'stdio') {
    if (actor.role !== 'admin')
      throw forbidden(
        'Registering a stdio command needs the admin role; developers register templates and http servers',
        { role: actor.role },
      );
    let resolved: { command: string; args: string[] };
    try {
      resolved = deps.stdioCommands.resolve(body.command, body.args);
    } catch (err) {
      if (err instanceof StdioCommandRefused)
        throw badRequest('stdio_command_not_allowed', err.message, { command: body.command, allowed: err.allowed });
      throw err;
    }
    return {
      fields: {
        ...common,
        transport: 'stdio',
        command: resolved.command,
        args: resolved.args,
        env: body.env,
        url: null,
        headers: {},
        network: body.network,
      },
      defaultLevel: 'medium',
    };
  }
  await checkEgressField(deps.egress, body.url, 'url');
  return {
    fields: {
      ...common,
      transport: 'http',
      command: null,
      args: [],
      env: {},
      url: body.url,
      headers: body.headers,
      network: true,
    },
    defaultLevel: 'medium',
  };
}

/** Template paths inside the org's workspace; URLs the egress policy allows. */
async function checkTemplateConfig(
  deps: ServerFieldsDeps,
  actor: Actor,
  template: TemplateName,
  config: TemplateConfig[TemplateName],
): Promise<TemplateConfig[TemplateName]> {
  const inside = (given: string, field: string) => {
    try {
      return inWorkspace(deps.workspaceRoot, actor.orgId, given);
    } catch (err) {
      if (err instanceof OutsideWorkspaceError)
        throw new TemplateConfigError([{ path: `config.${field}`, message: err.message }]);
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
  if (template === 'openapi' && (config as { target?: string }).target !== undefined) {
    const { target: name, ...c } = config as Omit<TemplateConfig['openapi'], 'spec'> & { target: string };
    const integration = integrationForTarget(name);
    // Its sandboxes run the integration's own server, whose tools an openapi server's would not match.
    if (integration)
      throw new TemplateConfigError([
        {
          path: 'config.target',
          message: `${name} is the ${integration.name} integration's target: use template ${integration.name}`,
        },
      ]);
    const target = await deps.targets.resolve(actor.orgId, name).catch((err: unknown) => {
      if (err instanceof AppError && err.httpStatus === 404)
        throw new TemplateConfigError([{ path: 'config.target', message: `no sandbox target named ${name}` }]);
      throw err;
    });
    // A target with no real system (collexa-test), given none: the server serves sandboxes only, and a
    // call outside one fails to resolve (.invalid never does, RFC 6761).
    const baseUrl = c.baseUrl ?? target.baseUrl ?? SANDBOX_ONLY_BASE_URL;
    if (baseUrl !== SANDBOX_ONLY_BASE_URL) await checkEgressField(deps.egress, baseUrl, 'config.baseUrl');
    return { ...c, baseUrl, spec: writeTargetSpec(deps.workspaceRoot, actor.orgId, name, target.specHash, target.doc) };
  }
  if (template === 'openapi') {
    const c = config as TemplateConfig['openapi'];
    await checkEgressField(deps.egress, c.baseUrl, 'config.baseUrl');
    const spec = /^https?:\/\//i.test(c.spec)
      ? (await checkEgressField(deps.egress, c.spec, 'config.spec'), c.spec)
      : inside(c.spec, 'spec');
    return { ...c, spec };
  }
  return config;
}

/**
 * The target's description as a file of the org's workspace (where the server's sandbox may read it),
 * named by its hash so a re-registered target never changes a running server's file under it.
 */
function writeTargetSpec(workspaceRoot: string, orgId: string, name: string, hash: string, doc: object): string {
  const dir = path.join(orgWorkspace(workspaceRoot, orgId), '.targets');
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const file = path.join(dir, `${name}-${hash.replace(/[^A-Za-z0-9]/g, '').slice(-16)}.json`);
  if (!existsSync(file)) writeFileSync(file, JSON.stringify(doc), { mode: 0o644 });
  return file;
}
