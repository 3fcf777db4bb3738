import type { Db } from '../core/db/knex.js';
import type { LlmGateway } from '../core/llm/llm-gateway.js';
import type { Logger } from '../core/log.js';
import type { McpClientPool } from '../core/mcp/client-pool.js';
import type { PolicyEngine } from '../core/policy/engine.js';
import type { EgressPolicy } from '../core/net/egress.js';
import type { SandboxHost } from '../core/sandboxes/sandbox-host.js';
import type { UsageReporter } from '../core/billing/usage-reporter.js';
import type { BudgetGuard } from '../core/billing/budget-guard.js';
import type { SecretReader } from '../core/secrets/vault.js';
import { withFailureMapping } from './application-failure.js';
import { createApprovalActivities } from './approval.activities.js';
import { createBillingActivities } from './billing.activities.js';
import { createInvocationActivities } from './invocation.activities.js';
import { createMcpServerActivities } from './mcp-server.activities.js';
import { createPipelineActivities } from './pipeline.activities.js';
import { createSandboxActivities } from './sandbox.activities.js';
import { createSystemActivities } from './system.activities.js';

/** What activities need from the outside world, injected by the worker (and by tests). */
export interface ActivityDeps {
  db: Db;
  logger: Logger;
  policy: PolicyEngine;
  mcp: McpClientPool;
  /** Resolves `secret:NAME` in MCP server env and headers when connecting (the vault). */
  vault?: SecretReader;
  /** Where the worker may connect on a tenant's behalf (approval webhooks); default: public addresses only. */
  egress?: EgressPolicy;
  /** Per-call timeout of MCP tools/call (MCP_CALL_TIMEOUT_MS). */
  toolTimeoutMs?: number;
  /** How old a server's cached tools/list may be when a call checks its pin (MCP_CATALOG_MAX_AGE_MS). */
  catalogMaxAgeMs?: number;
  /** Provisions, hosts and tears down sandboxes; without it, sandbox activities fail saying so. */
  sandboxHost?: SandboxHost;
  /** The org's LLM providers behind one interface (core/llm); LLM features call it from their own activities. */
  llm?: LlmGateway;
  /** Writes the cost ledger and reports it to Stripe (usageReportWorkflow); without it those activities fail. */
  usageReporter?: UsageReporter;
  /** The org's monthlyBudget against its month-to-date cost; without it no invocation is held for budget. */
  budget?: BudgetGuard;
}

/** Every activity the worker registers, built over injected dependencies; errors mapped in one place. */
export function createActivities(deps: ActivityDeps) {
  return withFailureMapping({
    ...createSystemActivities(deps),
    ...createInvocationActivities(deps),
    ...createApprovalActivities(deps),
    ...createMcpServerActivities(deps),
    ...createSandboxActivities(deps),
    ...createBillingActivities(deps),
    ...createPipelineActivities(deps),
  });
}
