import type { ActivityDeps } from '../activities/index.js';
import type { Config } from '../core/config.js';
import { createDb } from '../core/db/knex.js';
import { createLlmGateway } from '../core/llm/provider-gateway.js';
import { createLogger } from '../core/log.js';
import { mcpClientPoolFromConfig } from '../core/mcp/pool-from-config.js';
import { bareHost, EgressPolicy } from '../core/net/egress.js';
import type { Db } from '../core/db/knex.js';
import type { Logger } from '../core/log.js';
import { dockerDriver } from '../core/sandboxes/drivers/docker.driver.js';
import { processDriver } from '../core/sandboxes/drivers/process.driver.js';
import { EmulatorStore } from '../core/sandboxes/emulator/store.js';
import type { SandboxDriver } from '../core/sandboxes/drivers/driver.js';
import { SandboxHost } from '../core/sandboxes/sandbox-host.js';
import { SandboxTargetService } from '../core/sandboxes/targets/target.service.js';
import { PolicyEngine } from '../core/policy/engine.js';
import { openVault } from '../core/secrets/open-vault.js';
import { SecretVault, type SecretReader } from '../core/secrets/vault.js';

/** The sandbox host as the config says: its driver (sandboxed processes or containers), the platform PostgreSQL for emulated databases. */
function sandboxHostFromConfig(
  config: Config,
  db: Db,
  logger: Logger,
  egress: EgressPolicy,
  vault: SecretReader | undefined,
): SandboxHost {
  const pg = new URL(config.db.url);
  return new SandboxHost({
    db,
    logger,
    targets: new SandboxTargetService({ db, egress }),
    processSandbox: config.mcpSandbox,
    emulator: new EmulatorStore({ databaseUrl: config.db.url }),
    ...(vault instanceof SecretVault ? { vault } : {}),
    pg: { host: bareHost(pg.hostname), port: Number(pg.port || 5432) },
    memoryMb: config.sandboxes.memoryMb,
    driver: sandboxDriverFor(config),
  });
}

/** The driver SANDBOX_DRIVER names. */
export function sandboxDriverFor(config: Config): SandboxDriver {
  return config.sandboxes.driver === 'docker' ? dockerDriver : processDriver;
}

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
    const sandboxHost = given.sandboxHost ?? sandboxHostFromConfig(config, db, logger, egress, vault);
    const deps: ActivityDeps = {
      sandboxHost,
      db,
      logger,
      policy,
      mcp,
      vault,
      egress,
      toolTimeoutMs: config.mcpCallTimeoutMs,
      catalogMaxAgeMs: config.mcpCatalogMaxAgeMs,
      llm: createLlmGateway(config.llm, { db, vault, egress }),
      ...given,
    };
    return { deps, close };
  } catch (err) {
    await close();
    throw err;
  }
}
