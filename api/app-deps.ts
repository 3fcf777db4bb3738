import { Client, Connection } from '@temporalio/client';
import type { Config } from '../core/config.js';
import { createDb } from '../core/db/knex.js';
import { readinessChecks } from '../core/health/readiness.js';
import { IdentityService } from '../core/identity/identity.service.js';
import { createLogger } from '../core/log.js';
import { StdioCommandPolicy } from '../core/mcp/stdio-commands.js';
import { EgressPolicy } from '../core/net/egress.js';
import { PolicyEngine } from '../core/policy/engine.js';
import { openVault } from '../core/secrets/open-vault.js';
import { dataConverterFromConfig } from '../core/temporal/data-converter.js';
import type { AppDeps } from './app.js';

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
      temporal: new Client({ connection, namespace: config.temporal.namespace, ...(dataConverter ? { dataConverter } : {}) }),
      ...(codec ? { codec: { codec, corsOrigins: config.codec.corsOrigins } } : {}),
      egress: new EgressPolicy(config.egress.allow, config.egress.platform),
      stdioCommands: new StdioCommandPolicy(config.mcpStdioCommands),
      workspaceRoot: config.mcpSandbox.workspaceRoot,
      bodyLimit: config.http.bodyLimit,
      jsonMaxDepth: config.http.jsonMaxDepth,
      taskQueue: config.temporal.taskQueue,
      approvalTimeoutMs: config.approvalTimeoutMs,
      mcpHealthIntervalMs: config.mcpHealthIntervalMs,
      mcpWorkRoot: config.mcpSandbox.workRoot,
      mcpEndpoint: config.mcpEndpoint,
      vault,
      issuer: config.issuer,
      operatorOrgId: config.operatorOrgId,
      policy,
      readiness: readinessChecks({ db, temporal: connection }),
      ...given,
    };
    return { deps, close };
  } catch (err) {
    await close();
    throw err;
  }
}
