import path from 'node:path';
import { z } from 'zod';
import { StartupError } from './errors.js';
import { isMasterKeyText } from './crypto/master-key.js';
import { DEFAULT_JSON_MAX_DEPTH } from './input/clean-input.js';
import { PROJECT_ROOT } from './paths.js';
import { bareHost, parseAllowRule } from './net/egress.js';
import { DEFAULT_POLICY_DIR } from './policy/bundle.js';
import { PriceTableSchema } from './llm/prices.js';

/** Thrown when the environment holds an invalid value; the message names every bad variable. */
export class ConfigError extends StartupError {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();
const hostPort = z.string().regex(/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/, 'expected host:port');
const isOrigin = (o: string) => URL.canParse(o) && /^https?:$/.test(new URL(o).protocol) && new URL(o).origin === o;
const originList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((o) => o.trim().replace(/\/$/, ''))
      .filter(Boolean),
  )
  .refine((list) => list.every(isOrigin), 'expected comma-separated origins such as https://app.example.com');

const commaList = z.string().transform((v) =>
  v
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean),
);
const egressList = commaList.superRefine((list, ctx) => {
  for (const e of list) {
    try {
      parseAllowRule(e);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  }
});
const absolutePaths = commaList.refine(
  (list) => list.every((p) => path.isAbsolute(p)),
  'expected comma-separated absolute paths',
);

const masterKeyHint = 'expected base64 of 32 bytes (openssl rand -base64 32)';
// Never echoed in a config error: they are keys.
const SECRET_VARIABLES = new Set([
  'COLLEXA_MASTER_KEY',
  'COLLEXA_MASTER_KEYS',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'METRICS_TOKEN',
]);

// What each ledger kind costs, in micro-units of BILLING_CURRENCY (1 000 000 = one dollar for usd). LLM calls
// are not here: the ledger takes the cost the gateway priced each at, per model (LLM_PRICES, in US dollars).
const BillingPricesSchema = z.strictObject({
  tool_call: z.number().int().min(0).max(1e12),
  sandbox_minute: z.number().int().min(0).max(1e12),
});
export type BillingPrices = z.infer<typeof BillingPricesSchema>;
const DEFAULT_PRICES: BillingPrices = {
  tool_call: 1000,
  sandbox_minute: 2000,
};
/** A variable holding JSON, checked against `schema`. */
const jsonVariable = <S extends z.ZodType>(schema: S) =>
  z
    .string()
    .transform((v, ctx) => {
      try {
        return JSON.parse(v) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

// Every variable Collexa reads. README's config table mirrors this schema: change both together.
const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(3000),
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'expected a size such as 100kb or 1mb')
    .default('1mb'),
  JSON_MAX_DEPTH: positiveInt.max(1000).default(DEFAULT_JSON_MAX_DEPTH),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'expected a postgres:// URL' }).optional(),
  DB_POOL_MAX: positiveInt.default(10),
  EMBEDDED_PG_PORT: port.default(5433),
  TEMPORAL_ADDRESS: hostPort.optional(),
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('collexa'),
  WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
  // Unset: the SDK sizes the sticky cache from the heap limit (about 600 per GiB).
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(2).max(100_000).optional(),
  // Unset: the worker serves no metrics. Set: GET /metrics there, behind METRICS_TOKEN.
  WORKER_METRICS_PORT: port.optional(),
  WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  COLLEXA_DATA_DIR: z.string().min(1).default('.data'),
  SHUTDOWN_TIMEOUT_MS: positiveInt.max(60_000).default(8000),
  APPROVAL_TIMEOUT_SECONDS: positiveInt.max(30 * 24 * 3600).default(24 * 3600),
  PIPELINE_RETRY_WINDOW_SECONDS: positiveInt.max(30 * 24 * 3600).default(7 * 24 * 3600),
  POLICY_DIR: z.string().min(1).optional(),
  MCP_CALL_TIMEOUT_MS: positiveInt.max(15 * 60_000).default(60_000),
  MCP_ALLOWED_ORIGINS: originList.optional(),
  CODEC_CORS_ORIGINS: originList.optional(),
  MCP_APPROVAL_WAIT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(10 * 60_000)
    .default(30_000),
  MCP_CATALOG_MAX_AGE_MS: z.coerce.number().int().min(0).max(3_600_000).default(5000),
  MCP_HEALTH_INTERVAL_SECONDS: positiveInt.max(3600).default(30),
  COLLEXA_MASTER_KEY: z.string().refine(isMasterKeyText, masterKeyHint).optional(),
  COLLEXA_MASTER_KEYS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean),
    )
    .refine((keys) => keys.every(isMasterKeyText), `comma-separated; each ${masterKeyHint}`)
    .optional(),
  EGRESS_ALLOW: egressList.optional(),
  MCP_STDIO_COMMANDS: commaList
    .refine(
      (list) => list.every((e) => path.isAbsolute(e) || /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/.test(e)),
      'expected comma-separated absolute paths or npm package names',
    )
    .optional(),
  WORKSPACE_ROOT: z.string().min(1).optional(),
  MCP_SANDBOX_READ_PATHS: absolutePaths.optional(),
  MCP_SANDBOX_UID_BASE: z.coerce.number().int().min(1000).max(4_000_000_000).default(200_000),
  SANDBOX_MAX_PER_ORG: z.coerce.number().int().min(0).max(1000).default(5),
  SANDBOX_DEFAULT_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(31 * 24 * 3600)
    .default(3600),
  SANDBOX_MAX_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(31 * 24 * 3600)
    .default(24 * 3600),
  SANDBOX_IDLE_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(31 * 24 * 60)
    .default(15),
  SANDBOX_MEMORY_MB: z.coerce.number().int().min(64).max(65_536).default(512),
  SANDBOX_DRIVER: z.enum(['process', 'docker']).default('process'),
  COLLEXA_ISSUER: z.string().min(1).max(200).default('collexa-dev'),
  OPERATOR_ORG_ID: z.uuid().optional(),
  // The bearer a Prometheus scraper sends to GET /metrics (also readable with an operator admin's key).
  METRICS_TOKEN: z.string().min(24, 'at least 24 characters (openssl rand -hex 24)').optional(),
  LLM_CALL_TIMEOUT_MS: positiveInt.max(15 * 60_000).default(60_000),
  LLM_CACHE_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(365 * 24 * 3600)
    .default(24 * 3600),
  LLM_PRICES: jsonVariable(PriceTableSchema).optional(),
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/, 'expected sk_test_… or sk_live_…')
    .optional(),
  STRIPE_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9_]+$/, 'expected whsec_…')
    .optional(),
  STRIPE_API_BASE: z.url({ protocol: /^https?$/, error: 'expected an http(s):// URL' }).optional(),
  STRIPE_MOCK_PORT: port.default(12111),
  STRIPE_TIMEOUT_MS: positiveInt.max(120_000).default(10_000),
  STRIPE_METER_EVENT_NAME: z
    .string()
    .regex(/^[a-z0-9_]{1,100}$/)
    .default('collexa_usage'),
  BILLING_CURRENCY: z
    .string()
    .regex(/^[a-z]{3}$/, 'expected an ISO currency code in lower case such as usd')
    .default('usd'),
  BILLING_PRICES: jsonVariable(BillingPricesSchema).optional(),
  BILLING_REPORT_INTERVAL_SECONDS: positiveInt.max(86_400).default(60),
  BILLING_REPORT_USAGE: z.enum(['on', 'off']).default('on'),
});

export type Config = ReturnType<typeof toConfig>;

function toConfig(env: z.infer<typeof EnvSchema>) {
  const dataDir = path.resolve(PROJECT_ROOT, env.COLLEXA_DATA_DIR);
  const dbUrl = env.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${env.EMBEDDED_PG_PORT}/collexa`;
  const temporalAddress = env.TEMPORAL_ADDRESS ?? `127.0.0.1:${env.TEMPORAL_DEV_PORT}`;
  return {
    env: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    http: { host: env.HOST, port: env.PORT, bodyLimit: env.BODY_LIMIT, jsonMaxDepth: env.JSON_MAX_DEPTH },
    db: {
      // Unset DATABASE_URL means the embedded PostgreSQL that `npm start` runs.
      url: dbUrl,
      external: env.DATABASE_URL !== undefined,
      embeddedPort: env.EMBEDDED_PG_PORT,
      poolMax: env.DB_POOL_MAX,
    },
    temporal: {
      // Unset TEMPORAL_ADDRESS means the dev server that `npm start` runs.
      address: temporalAddress,
      external: env.TEMPORAL_ADDRESS !== undefined,
      devPort: env.TEMPORAL_DEV_PORT,
      uiPort: env.TEMPORAL_UI_PORT,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      workflowBundlePath: env.WORKFLOW_BUNDLE_PATH,
      maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS,
    },
    dataDir,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    approvalTimeoutMs: env.APPROVAL_TIMEOUT_SECONDS * 1000,
    // How long a failed pipeline waits for POST /v1/pipelines/:id/retry before it ends failed for good.
    pipelineRetryWindowMs: env.PIPELINE_RETRY_WINDOW_SECONDS * 1000,
    mcpCallTimeoutMs: env.MCP_CALL_TIMEOUT_MS,
    // The /mcp endpoint: browser Origins allowed to call it, and how long a tools/call waits for its invocation.
    // The remote codec (/codec): browser origins allowed (default: the dev Temporal UI). Always needs a key.
    codec: {
      corsOrigins:
        env.CODEC_CORS_ORIGINS ??
        (env.NODE_ENV === 'production'
          ? []
          : [`http://localhost:${env.TEMPORAL_UI_PORT}`, `http://127.0.0.1:${env.TEMPORAL_UI_PORT}`]),
    },
    mcpEndpoint: { allowedOrigins: env.MCP_ALLOWED_ORIGINS ?? [], approvalWaitMs: env.MCP_APPROVAL_WAIT_MS },
    mcpCatalogMaxAgeMs: env.MCP_CATALOG_MAX_AGE_MS,
    mcpHealthIntervalMs: env.MCP_HEALTH_INTERVAL_SECONDS * 1000,
    // The vault's master key (wraps new data keys) and older ones that still unwrap theirs, base64.
    vault: { masterKey: env.COLLEXA_MASTER_KEY, previousMasterKeys: env.COLLEXA_MASTER_KEYS ?? [] },
    // Where Collexa may connect on a tenant's behalf; the platform's own services are refused even if allowed.
    egress: { allow: env.EGRESS_ALLOW ?? [], platform: platformServices(dbUrl, temporalAddress, env) },
    // How stdio MCP servers run: what they may execute, their dirs, what else they may read, their uids.
    mcpStdioCommands: env.MCP_STDIO_COMMANDS,
    mcpSandbox: {
      workRoot: path.join(dataDir, 'mcp'),
      workspaceRoot: env.WORKSPACE_ROOT
        ? path.resolve(PROJECT_ROOT, env.WORKSPACE_ROOT)
        : path.join(dataDir, 'workspaces'),
      readPaths: env.MCP_SANDBOX_READ_PATHS ?? [],
      uidBase: env.MCP_SANDBOX_UID_BASE,
    },
    // Sandboxes: how many an org may hold at once, how long they live, when idle ones stop, their memory.
    sandboxes: {
      maxPerOrg: env.SANDBOX_MAX_PER_ORG,
      defaultTtlSeconds: env.SANDBOX_DEFAULT_TTL_SECONDS,
      maxTtlSeconds: env.SANDBOX_MAX_TTL_SECONDS,
      idleMs: env.SANDBOX_IDLE_MINUTES * 60_000,
      memoryMb: env.SANDBOX_MEMORY_MB,
      // How mock and emulated sandboxes run: sandboxed processes, or containers of a Docker engine.
      driver: env.SANDBOX_DRIVER,
    },
    /** `iss` of signed capability manifests. */
    issuer: env.COLLEXA_ISSUER,
    // LLM calls: each provider attempt's timeout, how long answers are cached (0: never), price overrides.
    llm: {
      callTimeoutMs: env.LLM_CALL_TIMEOUT_MS,
      cacheTtlSeconds: env.LLM_CACHE_TTL_SECONDS,
      prices: env.LLM_PRICES ?? {},
    },
    // The org whose admins run the platform itself (e.g. rotate the global manifest signing keys).
    operatorOrgId: env.OPERATOR_ORG_ID,
    metricsToken: env.METRICS_TOKEN,
    workerMetrics: env.WORKER_METRICS_PORT
      ? { host: env.WORKER_METRICS_HOST, port: env.WORKER_METRICS_PORT }
      : undefined,
    billing: billingConfig(env),
    // Unset means dist/policy, written by `npm run build:policies`.
    policyDir: env.POLICY_DIR ? path.resolve(PROJECT_ROOT, env.POLICY_DIR) : DEFAULT_POLICY_DIR,
  };
}

// Outside production an unset key is stripe-mock's (it accepts any sk_test_ key) and an unset webhook secret a
// development one, so `npm start` and the tests sync billing without a Stripe account; production needs both.
function billingConfig(env: z.infer<typeof EnvSchema>) {
  const dev = env.NODE_ENV !== 'production';
  const apiBase = env.STRIPE_API_BASE ?? (dev ? `http://127.0.0.1:${env.STRIPE_MOCK_PORT}` : 'https://api.stripe.com');
  return {
    secretKey: env.STRIPE_SECRET_KEY ?? (dev ? 'sk_test_collexaDev' : undefined),
    webhookSecret: env.STRIPE_WEBHOOK_SECRET ?? (dev ? 'whsec_collexa_dev' : undefined),
    apiBase,
    /** Unset STRIPE_API_BASE outside production: `npm start` runs stripe-mock on STRIPE_MOCK_PORT. */
    runsStripeMock: dev && env.STRIPE_API_BASE === undefined,
    mockPort: env.STRIPE_MOCK_PORT,
    timeoutMs: env.STRIPE_TIMEOUT_MS,
    meterEventName: env.STRIPE_METER_EVENT_NAME,
    currency: env.BILLING_CURRENCY,
    prices: env.BILLING_PRICES ?? DEFAULT_PRICES,
    reportIntervalMs: env.BILLING_REPORT_INTERVAL_SECONDS * 1000,
    /** Whether workers keep usageReportWorkflow running (off: the test run's workers, but the one a test asks for). */
    reportUsage: env.BILLING_REPORT_USAGE === 'on',
  };
}
export type BillingConfig = ReturnType<typeof billingConfig>;

/** PostgreSQL, Temporal (and its UI) and the API itself: never an egress target, whatever EGRESS_ALLOW says. */
function platformServices(
  dbUrl: string,
  temporalAddress: string,
  env: z.infer<typeof EnvSchema>,
): Array<{ host: string; port: number }> {
  const db = new URL(dbUrl);
  const [tHost, tPort] = [
    temporalAddress.slice(0, temporalAddress.lastIndexOf(':')),
    Number(temporalAddress.slice(temporalAddress.lastIndexOf(':') + 1)),
  ];
  return [
    { host: bareHost(db.hostname), port: Number(db.port || 5432) },
    { host: bareHost(tHost), port: tPort },
    { host: '127.0.0.1', port: env.TEMPORAL_UI_PORT },
    { host: env.HOST === '0.0.0.0' || env.HOST === '::' ? '127.0.0.1' : bareHost(env.HOST), port: env.PORT },
    ...(env.WORKER_METRICS_PORT ? [{ host: '127.0.0.1', port: env.WORKER_METRICS_PORT }] : []),
  ];
}

/** Reads and validates the environment once; fails fast with every bad variable named. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  // An empty string means "unset", as shells and compose files commonly write it.
  const env = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? '(env)');
        const shown = SECRET_VARIABLES.has(name) ? '[redacted]' : JSON.stringify(source[name] ?? '');
        return `${name}=${shown}: ${issue.message}`;
      }),
    );
  }
  // The worker's metrics port takes no API keys (the worker authenticates nobody): without the token it would be open.
  if (parsed.data.WORKER_METRICS_PORT !== undefined && parsed.data.METRICS_TOKEN === undefined)
    throw new ConfigError([
      `WORKER_METRICS_PORT=${parsed.data.WORKER_METRICS_PORT}: needs METRICS_TOKEN, the bearer its GET /metrics takes`,
    ]);
  return toConfig(parsed.data);
}
