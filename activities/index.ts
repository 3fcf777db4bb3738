import type { Db } from '../core/db/knex.js';
import type { Logger } from '../core/log.js';
import { createSystemActivities } from './system.activities.js';

/** What activities need from the outside world, injected by the worker (and by tests). */
export interface ActivityDeps {
  db: Db;
  logger: Logger;
}

/** Every activity the worker registers, built over injected dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createSystemActivities(deps),
  };
}
