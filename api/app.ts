import express, { type Express } from 'express';
import type { IdentityService } from '../core/identity/identity.service.js';
import type { Logger } from '../core/log.js';
import { requireAuth } from './middleware/auth.js';
import { errorHandler, notFoundHandler } from './middleware/errors.js';
import { requestContext } from './middleware/request-context.js';
import { healthRoutes, type ReadinessCheck } from './routes/health.routes.js';
import { identityRoutes } from './routes/identity.routes.js';

/** Everything the API needs, injected so tests can build it over real or broken dependencies. */
export interface AppDeps {
  logger: Logger;
  identity: IdentityService;
  readiness: Record<string, ReadinessCheck>;
  bodyLimit: string;
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
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
