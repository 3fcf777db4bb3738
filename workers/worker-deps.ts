import type { ActivityDeps } from '../activities/index.js';
import type { Config } from '../core/config.js';
import { createDb } from '../core/db/knex.js';
import { createLogger } from '../core/log.js';
import { mcpClientPoolFromConfig } from '../core/mcp/pool-from-config.js';
import { EgressPolicy } from '../core/net/egress.js';
import { PolicyEngine } from '../core/policy/engine.js';
import { openVault } from '../core/secrets/open-vault.js';

/** The worker's dependencies and how to let go of the ones it opened (the database, MCP server processes). */
export interface WorkerDeps {
  deps: ActivityDeps;
  close(): Promise<void>;
}

/**
 * The worker's composition root: everything the activities need, built from the config the way
 * `npm run worker` runs it. `given` replaces single pieces (a test's logger, database or MCP pool); what is
 * given is not closed here. Throws a StartupError when the master key does not match the data.
 */
export async function createWorkerDeps(config: Config, given: Partial<ActivityDeps> = {}): Promise<WorkerDeps> {
  const logger = given.logger ?? createLogger({ level: config.logLevel, name: 'collexa-worker' });
  const db = given.db ?? createDb(config.db.url, config.db.poolMax);
  const egress = given.egress ?? new EgressPolicy(config.egress.allow, config.egress.platform);
  const mcp = given.mcp ?? mcpClientPoolFromConfig(config, logger, egress);
  const close = async () => {
    await Promise.allSettled([given.db ? undefined : db.destroy(), given.mcp ? undefined : mcp.closeAll()]);
  };
  try {
    const vault = given.vault ?? (await openVault(config, db, logger));
    const policy = given.policy ?? (await PolicyEngine.load(config.policyDir));
    const deps: ActivityDeps = {
      db,
      logger,
      policy,
      mcp,
      vault,
      egress,
      toolTimeoutMs: config.mcpCallTimeoutMs,
      catalogMaxAgeMs: config.mcpCatalogMaxAgeMs,
      ...given,
    };
    return { deps, close };
  } catch (err) {
    await close();
    throw err;
  }
}
