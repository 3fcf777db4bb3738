// The API process (`npm run api`): listens, and on SIGINT/SIGTERM stops taking requests, drains, and exits.
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { loadConfigOrExit } from '../core/config.js';
import { createDb } from '../core/db/knex.js';
import { IdentityService } from '../core/identity/identity.service.js';
import { createLogger } from '../core/log.js';
import { StdioCommandPolicy } from '../core/mcp/stdio-commands.js';
import { EgressPolicy } from '../core/net/egress.js';
import { PolicyEngine } from '../core/policy/engine.js';
import { openVaultOrExit } from '../core/secrets/open-vault.js';
import { dataConverterFromConfig } from '../core/temporal/data-converter.js';
import { createApp } from './app.js';
import { answerClientErrors } from './middleware/client-errors.js';
import { readinessChecks } from './readiness.js';

const config = loadConfigOrExit();
const logger = createLogger({ level: config.logLevel, name: 'collexa-api' });
const db = createDb(config.db.url, config.db.poolMax);
// Lazy: the API starts (and reports not-ready) while Temporal is still coming up.
const temporal = Connection.lazy({ address: config.temporal.address });
// A master key that does not match the stored secrets stops the process here, before it serves anything.
const vault = await openVaultOrExit(config, db, logger);

// The API never connects to an MCP server: it reads the catalog the workers keep. Every payload this client sends or reads is encrypted with a key derived from the master key.
const { dataConverter, codec } = dataConverterFromConfig(config.vault);

// The invoke door asks the workers' policy bundle first (denied calls spend no server or org rate tokens).
const policy = await PolicyEngine.load(config.policyDir).catch((err: unknown) => {
  logger.fatal({ err }, 'could not load the policy bundle');
  process.exit(1);
});

const app = createApp({
  logger,
  db,
  identity: new IdentityService(db),
  temporal: new Client({ connection: temporal, namespace: config.temporal.namespace, ...(dataConverter ? { dataConverter } : {}) }),
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
  readiness: readinessChecks({ db, temporal }),
});

const server = app.listen(config.http.port, config.http.host);
answerClientErrors(server);
server.on('listening', () => {
  const { port } = server.address() as AddressInfo;
  logger.info({ port, host: config.http.host }, 'api listening');
});
server.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EADDRINUSE') logger.fatal(`port ${config.http.port} (PORT) is already in use`);
  else logger.fatal({ err }, 'api failed to listen');
  process.exit(1);
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'api shutting down');
  const force = setTimeout(() => {
    logger.warn('drain timed out; closing remaining connections');
    server.closeAllConnections();
  }, config.shutdownTimeoutMs);
  force.unref();
  server.closeIdleConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await Promise.allSettled([db.destroy(), temporal.close()]);
  logger.info('api stopped');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
