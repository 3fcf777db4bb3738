import os from 'node:os';
import path from 'node:path';
import express, { type Express, type Request, type RequestHandler } from 'express';
import { AgentService } from '../core/agents/agent.service.js';
import { ApprovalService } from '../core/approvals/approval.service.js';
import { DecisionTokenSigner } from '../core/approvals/decision-token.js';
import type { Db } from '../core/db/knex.js';
import { DEFAULT_JSON_MAX_DEPTH } from '../core/input/clean-input.js';
import { SandboxService, type SandboxSettings } from '../core/sandboxes/sandbox.service.js';
import { SandboxTargetService } from '../core/sandboxes/targets/target.service.js';
import { InvocationService } from '../core/invocations/invocation.service.js';
import type { Logger } from '../core/log.js';
import { ManifestService } from '../core/manifests/manifest.service.js';
import { SigningKeys } from '../core/manifests/signing-keys.js';
import { workflowCatalogRefresher } from '../core/mcp-servers/catalog-refresher.js';
import { McpServerService } from '../core/mcp-servers/mcp-server.service.js';
import { ToolCatalogService } from '../core/mcp-servers/tool-catalog.service.js';
import { ToolSuggestionService } from '../core/tools/tool-suggestion.service.js';
import { OrgService } from '../core/org/org.service.js';
import type { LlmGateway } from '../core/llm/llm-gateway.js';
import { PipelineService } from '../core/pipelines/pipeline.service.js';
import { LlmProviderService } from '../core/llm/llm-provider.service.js';
import { createLlmGateway, DEFAULT_LLM_SETTINGS, type LlmSettings } from '../core/llm/provider-gateway.js';
import { SecretService } from '../core/secrets/secret.service.js';
import { SecretVault } from '../core/secrets/vault.js';
import { mcpRoutes, type McpEndpointOptions } from './mcp-endpoint/mcp.routes.js';
import { requireAuth, requireRole } from './middleware/auth.js';
import type { EncryptionCodec } from '../core/crypto/payload-codec.js';
import { codecRoutes } from './routes/codec.routes.js';
import { errorHandler, notFoundHandler } from './middleware/errors.js';
import { jsonBody, urlAndHeaderGuard } from './middleware/input-guard.js';
import { mcpInputErrors } from './mcp-endpoint/mcp-errors.js';
import { requestContext } from './middleware/request-context.js';
import { agentRoutes } from './routes/agents.routes.js';
import { approvalRoutes } from './routes/approvals.routes.js';
import { integrationRoutes } from './routes/integrations.routes.js';
import { sandboxTargetRoutes } from './routes/sandbox-targets.routes.js';
import { sandboxRoutes } from './routes/sandboxes.routes.js';
import { auditRoutes } from './routes/audit.routes.js';
import type { ReadinessCheck } from '../core/health/readiness.js';
import { healthRoutes } from './routes/health.routes.js';
import { metricsRoutes } from './routes/metrics.routes.js';
import { createApiMetrics, type ApiMetrics } from '../core/metrics/api-metrics.js';
import { llmRoutes } from './routes/llm.routes.js';
import { identityRoutes } from './routes/identity.routes.js';
import { invocationRoutes } from './routes/invocations.routes.js';
import { manifestRoutes } from './routes/manifests.routes.js';
import { mcpServerImportRoutes } from './routes/mcp-server-import.routes.js';
import { mcpServerRoutes } from './routes/mcp-servers.routes.js';
import { orgRoutes } from './routes/org.routes.js';
import { pipelineRoutes } from './routes/pipelines.routes.js';
import { secretRoutes } from './routes/secrets.routes.js';
import { toolRoutes } from './routes/tools.routes.js';
import { Client, Connection } from '@temporalio/client';
import type { BillingConfig, Config } from '../core/config.js';
import { createDb } from '../core/db/knex.js';
import { readinessChecks } from '../core/health/readiness.js';
import { IdentityService } from '../core/identity/identity.service.js';
import { createLogger } from '../core/log.js';
import { StdioCommandPolicy } from '../core/mcp/stdio-commands.js';
import { EgressPolicy } from '../core/net/egress.js';
import { PolicyEngine } from '../core/policy/engine.js';
import { openVault } from '../core/secrets/open-vault.js';
import { dataConverterFromConfig } from '../core/temporal/data-converter.js';
import type Stripe from 'stripe';
import { BillingService } from '../core/billing/billing.service.js';
import { BillingWebhookService } from '../core/billing/billing-webhook.service.js';
import { createStripeClient } from '../core/billing/stripe-client.js';
import type { PaymentGateway } from '../core/billing/payment-gateway.js';
import { StripePaymentGateway } from '../core/billing/stripe-payment-gateway.js';
import { billingRoutes } from './routes/billing.routes.js';
import { billingWebhookRoutes } from './routes/billing-webhook.routes.js';

/** Everything the API needs, injected so tests can build it over real or broken dependencies. */
export interface AppDeps {
  logger: Logger;
  db: Db;
  identity: IdentityService;
  temporal: Client;
  /** Where URLs tenants name may point (EGRESS_ALLOW): checked when they are registered. */
  egress: EgressPolicy;
  /** What raw stdio servers may run (MCP_STDIO_COMMANDS). */
  stdioCommands: StdioCommandPolicy;
  /** WORKSPACE_ROOT: the filesystem template's paths must lie in `<workspaceRoot>/<orgId>`. */
  workspaceRoot: string;
  readiness: Record<string, ReadinessCheck>;
  bodyLimit: string;
  /** Deepest nesting of objects and arrays a JSON body may have (JSON_MAX_DEPTH, default 64). */
  jsonMaxDepth?: number;
  taskQueue: string;
  approvalTimeoutMs: number;
  /** Sandbox limits and durations (SANDBOX_*). */
  sandboxes: SandboxSettings;
  /** Interval of MCP server health probes (MCP_HEALTH_INTERVAL_SECONDS). */
  mcpHealthIntervalMs?: number;
  /** Root of per-server working dirs, `<COLLEXA_DATA_DIR>/mcp` (templates keep their files there). */
  mcpWorkRoot?: string;
  /** The /mcp endpoint: allowed Origins and how long a tools/call waits (defaults: none, 30 s). */
  mcpEndpoint?: Partial<McpEndpointOptions>;
  /** The secrets vault (COLLEXA_MASTER_KEY); without it secrets, `secret:` references and manifests answer 503. */
  vault?: SecretVault;
  /** `iss` of signed capability manifests (COLLEXA_ISSUER, default collexa-dev). */
  issuer?: string;
  /** Org whose admins may rotate and retire the platform-wide signing keys (OPERATOR_ORG_ID). */
  operatorOrgId?: string;
  /** The bearer of GET /metrics for a scraper (METRICS_TOKEN); operator admins' keys read it too. */
  metricsToken?: string;
  /** The process's Prometheus registry and HTTP counters (made by createApp when not given). */
  metrics?: ApiMetrics;
  /** The policy bundle the workers run (POLICY_DIR): the invoke door's forecast, so denied calls spend no server or org rate tokens. */
  policy?: PolicyEngine;
  /** The stripe SDK (STRIPE_API_BASE, STRIPE_SECRET_KEY) and the secret Stripe signs webhooks with. */
  billing: { stripe: Stripe; config: BillingConfig; payments?: PaymentGateway };
  /** The payload codec behind /codec/encode and /codec/decode (for the Temporal UI), when encryption is on. */
  codec?: { codec: EncryptionCodec; corsOrigins: string[] };
  /** LLM_CALL_TIMEOUT_MS, LLM_CACHE_TTL_SECONDS, LLM_PRICES: the providers' gateway and health checks run with them. */
  llmSettings?: LlmSettings;
  /** The gateway LLM features call (default: the org's providers, built from llmSettings). */
  llm?: LlmGateway;
  /** How long a failed pipeline waits for a retry (PIPELINE_RETRY_WINDOW_SECONDS, default 7 days). */
  pipelineRetryWindowMs?: number;
}

/** The API's dependencies and how to let go of the ones it opened. */
export interface ApiDeps {
  deps: AppDeps;
  close(): Promise<void>;
}

/**
 * The API's composition root: everything createApp needs, built from the config the way `npm run api`
 * runs it. `given` replaces single pieces (a test's logger or database); what is given is not closed here.
 * Throws a StartupError when the master key does not match the data, or the policy bundle cannot load.
 */
export async function createApiDeps(config: Config, given: Partial<AppDeps> = {}): Promise<ApiDeps> {
  const logger = given.logger ?? createLogger({ level: config.logLevel, name: 'collexa-api' });
  const db = given.db ?? createDb(config.db.url, config.db.poolMax);
  // Lazy: the API starts (and reports not-ready) while Temporal is still coming up.
  const connection = Connection.lazy({ address: config.temporal.address });
  const close = async () => {
    await Promise.allSettled([given.db ? undefined : db.destroy(), connection.close()]);
  };
  try {
    // A master key that does not match the stored secrets stops the process before it serves anything.
    const vault = given.vault ?? (await openVault(config, db, logger));
    // Every payload the API's client sends or reads is encrypted with a key derived from the master key.
    const { dataConverter, codec } = dataConverterFromConfig(config.vault);
    // The invoke door asks the workers' policy bundle first (denied calls spend no server or org rate tokens).
    const policy = 'policy' in given ? given.policy : await PolicyEngine.load(config.policyDir);
    const deps: AppDeps = {
      logger,
      db,
      identity: new IdentityService(db),
      temporal: new Client({
        connection,
        namespace: config.temporal.namespace,
        ...(dataConverter ? { dataConverter } : {}),
      }),
      ...(codec ? { codec: { codec, corsOrigins: config.codec.corsOrigins } } : {}),
      egress: new EgressPolicy(config.egress.allow, config.egress.platform),
      stdioCommands: new StdioCommandPolicy(config.mcpStdioCommands),
      workspaceRoot: config.mcpSandbox.workspaceRoot,
      bodyLimit: config.http.bodyLimit,
      jsonMaxDepth: config.http.jsonMaxDepth,
      taskQueue: config.temporal.taskQueue,
      approvalTimeoutMs: config.approvalTimeoutMs,
      pipelineRetryWindowMs: config.pipelineRetryWindowMs,
      sandboxes: config.sandboxes,
      mcpHealthIntervalMs: config.mcpHealthIntervalMs,
      mcpWorkRoot: config.mcpSandbox.workRoot,
      mcpEndpoint: config.mcpEndpoint,
      vault,
      issuer: config.issuer,
      operatorOrgId: config.operatorOrgId,
      metricsToken: config.metricsToken,
      policy,
      readiness: readinessChecks({ db, temporal: connection }),
      llmSettings: config.llm,
      billing: { stripe: createStripeClient(config.billing), config: config.billing },
      ...given,
    };
    deps.llm ??= createLlmGateway(deps.llmSettings ?? config.llm, { db, vault: deps.vault, egress: deps.egress });
    return { deps, close };
  } catch (err) {
    await close();
    throw err;
  }
}

// OpenAPI descriptions are large and deeply nested (parseSpecDocument bounds them further).
const SPEC_BODY_LIMIT = '12mb';
const SPEC_MAX_DEPTH = 200;
const isSpecUpload = (req: Request) => req.method === 'POST' && req.path === '/v1/sandbox-targets';

/** `handler` for the requests `when` picks; the others pass by. */
function onlyFor(when: (req: Request) => boolean, handler: RequestHandler): RequestHandler {
  return (req, res, next) => (when(req) ? handler(req, res, next) : next());
}

/** Builds the Express app (no listen): middleware order is id → URL check → health → body → auth → routes → errors. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  const maxDepth = deps.jsonMaxDepth ?? DEFAULT_JSON_MAX_DEPTH;
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(requestContext(deps.logger));
  const metrics = deps.metrics ?? createApiMetrics(deps.db);
  app.use(metrics.http);
  app.use(urlAndHeaderGuard(maxDepth));
  app.use(healthRoutes(deps.readiness));
  app.use(
    metricsRoutes({ metrics, identity: deps.identity, token: deps.metricsToken, operatorOrgId: deps.operatorOrgId }),
  );
  // Before the JSON body limit: a page of payloads can be larger than an API request.
  if (deps.codec) {
    app.use('/codec', jsonBody({ limit: '32mb', maxDepth }));
    app.use(
      codecRoutes({
        codec: deps.codec.codec,
        identity: deps.identity,
        allowedOrigins: deps.codec.corsOrigins,
        operatorOrgId: deps.operatorOrgId,
      }),
    );
  }
  // Stripe signs the exact bytes it sent: its webhook reads the raw body, so it comes before the JSON parser.
  app.use(
    billingWebhookRoutes(
      new BillingWebhookService({
        db: deps.db,
        temporal: deps.temporal,
        taskQueue: deps.taskQueue,
        stripe: deps.billing.stripe,
        webhookSecret: deps.billing.config.webhookSecret,
      }),
    ),
  );
  // A sandbox target's OpenAPI description may be a few MB (Stripe's is 2.5): its own, larger limit.
  // Only an authenticated admin or developer gets a body that large parsed (never an anonymous sender).
  const specUpload = [
    requireAuth(deps.identity),
    requireRole('admin', 'developer'),
    ...jsonBody({ limit: SPEC_BODY_LIMIT, maxDepth: SPEC_MAX_DEPTH }),
  ];
  for (const h of specUpload) app.use(onlyFor(isSpecUpload, h));
  for (const h of jsonBody({ limit: deps.bodyLimit, maxDepth })) app.use(onlyFor((req) => !isSpecUpload(req), h));
  app.use('/v1', requireAuth(deps.identity));
  app.use(identityRoutes(deps.identity));
  app.use(orgRoutes(new OrgService(deps.db, deps.egress)));
  const sandboxTargets = new SandboxTargetService({ db: deps.db, egress: deps.egress });
  const mcpServers = new McpServerService({
    targets: sandboxTargets,
    db: deps.db,
    temporal: deps.temporal,
    taskQueue: deps.taskQueue,
    healthIntervalMs: deps.mcpHealthIntervalMs ?? 30_000,
    workRoot: deps.mcpWorkRoot ?? path.join(os.tmpdir(), 'collexa', 'mcp'),
    workspaceRoot: deps.workspaceRoot,
    egress: deps.egress,
    stdioCommands: deps.stdioCommands,
  });
  // Import/export first: their paths would otherwise match /v1/mcp-servers/:id.
  app.use(mcpServerImportRoutes(mcpServers));
  app.use(mcpServerRoutes(mcpServers));
  const vault = deps.vault ?? new SecretVault(deps.db);
  app.use(agentRoutes(new AgentService(deps.db, workflowCatalogRefresher(deps.temporal))));
  app.use(secretRoutes(new SecretService(deps.db, vault)));
  const issuer = deps.issuer ?? 'collexa-dev';
  // One set of signing keys (and its key cache) signs manifests and decision tokens.
  const signingKeys = new SigningKeys(deps.db, vault);
  app.use(
    manifestRoutes({
      manifests: new ManifestService(deps.db, signingKeys, issuer),
      keys: signingKeys,
      operatorOrgId: deps.operatorOrgId,
    }),
  );
  const invocations = new InvocationService({
    db: deps.db,
    temporal: deps.temporal,
    taskQueue: deps.taskQueue,
    approvalTimeoutMs: deps.approvalTimeoutMs,
    policy: deps.policy,
  });
  app.use(mcpRoutes({ db: deps.db, identity: deps.identity, invocations, logger: deps.logger, ...deps.mcpEndpoint }));
  app.use(invocationRoutes({ db: deps.db, invocations }));
  const signer = new DecisionTokenSigner(signingKeys, issuer);
  app.use(
    approvalRoutes(new ApprovalService({ db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue, signer })),
  );
  app.use(integrationRoutes());
  app.use(sandboxTargetRoutes(sandboxTargets));
  app.use(
    sandboxRoutes(
      new SandboxService({
        db: deps.db,
        temporal: deps.temporal,
        taskQueue: deps.taskQueue,
        approvalTimeoutMs: deps.approvalTimeoutMs,
        targets: sandboxTargets,
        settings: deps.sandboxes,
      }),
    ),
  );
  app.use(
    billingRoutes(
      new BillingService({
        db: deps.db,
        ...deps.billing,
        payments: deps.billing.payments ?? new StripePaymentGateway(deps.billing.stripe),
      }),
    ),
  );
  // Health checks call one provider through the same gateway code features use (the cache bypassed).
  const providerGateway = createLlmGateway(deps.llmSettings ?? DEFAULT_LLM_SETTINGS, { ...deps, vault });
  app.use(
    pipelineRoutes(
      new PipelineService({
        db: deps.db,
        temporal: deps.temporal,
        taskQueue: deps.taskQueue,
        approvalTimeoutMs: deps.approvalTimeoutMs,
        retryWindowMs: deps.pipelineRetryWindowMs ?? 7 * 24 * 3600 * 1000,
        llm: deps.llm ?? providerGateway,
      }),
    ),
  );
  app.use(auditRoutes(deps.db));
  app.use(
    toolRoutes(
      new ToolCatalogService(deps.db),
      new ToolSuggestionService({ db: deps.db, logger: deps.logger, llm: deps.llm ?? providerGateway }),
    ),
  );
  app.use(llmRoutes(new LlmProviderService({ db: deps.db, vault, egress: deps.egress, gateway: providerGateway })));
  app.use(notFoundHandler);
  app.use('/mcp', mcpInputErrors);
  app.use(errorHandler);
  return app;
}
