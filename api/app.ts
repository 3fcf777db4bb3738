import type { Client } from '@temporalio/client';
import express, { type Express } from 'express';
import type { Db } from '../core/db/knex.js';
import type { IdentityService } from '../core/identity/identity.service.js';
import type { Logger } from '../core/log.js';
import type { McpClientPool } from '../core/mcp/client-pool.js';
import { requireAuth } from './middleware/auth.js';
import { errorHandler, notFoundHandler } from './middleware/errors.js';
import { requestContext } from './middleware/request-context.js';
import { agentRoutes } from './routes/agents.routes.js';
import { approvalRoutes } from './routes/approvals.routes.js';
import { auditRoutes } from './routes/audit.routes.js';
import { healthRoutes, type ReadinessCheck } from './routes/health.routes.js';
import { identityRoutes } from './routes/identity.routes.js';
import { invocationRoutes } from './routes/invocations.routes.js';
import { mcpServerRoutes } from './routes/mcp-servers.routes.js';
import { orgRoutes } from './routes/org.routes.js';

/** Everything the API needs, injected so tests can build it over real or broken dependencies. */
export interface AppDeps {
  logger: Logger;
  db: Db;
  identity: IdentityService;
  temporal: Client;
  mcp: McpClientPool;
  readiness: Record<string, ReadinessCheck>;
  bodyLimit: string;
  taskQueue: string;
  approvalTimeoutMs: number;
}

/** Builds the Express app (no listen): middleware order is id → health → body → auth → routes → errors. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(requestContext(deps.logger));
  app.use(healthRoutes(deps.readiness));
  app.use(express.json({ limit: deps.bodyLimit, type: ['application/json', 'application/*+json'] }));
  app.use('/v1', requireAuth(deps.identity));
  app.use(identityRoutes(deps.identity));
  app.use(orgRoutes(deps.identity));
  app.use(mcpServerRoutes(deps.db, deps.mcp));
  app.use(agentRoutes(deps.db, deps.mcp));
  app.use(invocationRoutes({ db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue, approvalTimeoutMs: deps.approvalTimeoutMs }));
  app.use(approvalRoutes({ db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue }));
  app.use(auditRoutes(deps.db));
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
