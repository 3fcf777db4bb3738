// The worker process (`npm run worker`): connects to Temporal and PostgreSQL, runs workflows and activities
// until SIGINT/SIGTERM, then drains in-flight tasks and exits.
import { DefaultLogger, NativeConnection, Runtime, makeTelemetryFilterString, type LogLevel } from '@temporalio/worker';
import { loadConfigOrExit } from '../core/config.js';
import { createDb } from '../core/db/knex.js';
import { createLogger } from '../core/log.js';
import { mcpClientPoolFromConfig } from '../core/mcp/pool-from-config.js';
import { EgressPolicy } from '../core/net/egress.js';
import { PolicyEngine } from '../core/policy/engine.js';
import { openVaultOrExit } from '../core/secrets/open-vault.js';
import { dataConverterFromConfig } from '../core/temporal/data-converter.js';
import { createWorker } from './create-worker.js';
import { loadWorkflowBundle } from './workflow-bundle.js';

const config = loadConfigOrExit();
const logger = createLogger({ level: config.logLevel, name: 'collexa-worker' });

// The SDK's own log lines (worker state changes, task failures) go through pino like everything else.
const sdkLevels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };
Runtime.install({
  logger: new DefaultLogger('INFO', ({ level, message, meta }) => logger[sdkLevels[level]]({ sdk: meta }, message)),
  shutdownSignals: ['SIGINT', 'SIGTERM'],
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
});

const db = createDb(config.db.url, config.db.poolMax);
const egress = new EgressPolicy(config.egress.allow, config.egress.platform);
const mcp = mcpClientPoolFromConfig(config, logger, egress);
try {
  const vault = await openVaultOrExit(config, db, logger);
  const policy = await PolicyEngine.load(config.policyDir);
  logger.info({ policyVersion: policy.version }, 'policy loaded');
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const workflowBundle = await loadWorkflowBundle(config.temporal.workflowBundlePath);
  const worker = await createWorker({ connection, config, deps: { db, logger, policy, mcp, vault, egress, toolTimeoutMs: config.mcpCallTimeoutMs, catalogMaxAgeMs: config.mcpCatalogMaxAgeMs }, workflowBundle, dataConverter: dataConverterFromConfig(config.vault).dataConverter });
  logger.info({ taskQueue: config.temporal.taskQueue, address: config.temporal.address }, 'worker ready');
  // Resolves once a shutdown signal arrived and in-flight tasks drained (Runtime's shutdownSignals).
  await worker.run();
  await connection.close();
  logger.info('worker stopped');
} catch (err) {
  logger.fatal({ err }, 'worker failed');
  process.exitCode = 1;
} finally {
  await Promise.allSettled([db.destroy(), mcp.closeAll()]);
}
