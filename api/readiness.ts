import type { Connection } from '@temporalio/client';
import type { Db } from '../core/db/knex.js';
import type { ReadinessCheck } from './routes/health.routes.js';

/** What /readyz asks: PostgreSQL answers a query and Temporal's frontend answers GetSystemInfo. */
export function readinessChecks(deps: { db: Db; temporal: Connection }): Record<string, ReadinessCheck> {
  return {
    postgres: async () => {
      await deps.db.raw('select 1');
    },
    temporal: async () => {
      await deps.temporal.withDeadline(Date.now() + 2000, () => deps.temporal.workflowService.getSystemInfo({}));
    },
  };
}
