import type { Connection } from '@temporalio/client';
import type { Db } from '../db/knex.js';

/** A dependency probe: resolves when the dependency answers, rejects with why not. */
export type ReadinessCheck = () => Promise<void>;

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
