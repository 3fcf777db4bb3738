// The API process (`npm run api`): listens, and on SIGINT/SIGTERM stops taking requests, drains, and exits.
import type { AddressInfo } from 'node:net';
import { StartupError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import { configOrExit } from '../scripts/entry.js';
import { createApiDeps, type ApiDeps } from './app.js';
import { createApp } from './app.js';
import { answerClientErrors } from './middleware/client-errors.js';

// Only the entry points exit the process: core throws a StartupError saying why it cannot start.
const config = configOrExit();
const log = createLogger({ level: config.logLevel, name: 'collexa-api' });
let api: ApiDeps;
try {
  api = await createApiDeps(config, { logger: log });
} catch (err) {
  log.fatal(
    err instanceof StartupError ? err.details : { err },
    err instanceof StartupError ? err.message : 'the api could not start',
  );
  process.exit(err instanceof StartupError ? err.exitCode : 1);
}

const server = createApp(api.deps).listen(config.http.port, config.http.host);
answerClientErrors(server);
server.on('listening', () => {
  const { port } = server.address() as AddressInfo;
  log.info({ port, host: config.http.host }, 'api listening');
});
server.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EADDRINUSE') log.fatal(`port ${config.http.port} (PORT) is already in use`);
  else log.fatal({ err }, 'api failed to listen');
  process.exit(1);
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'api shutting down');
  const force = setTimeout(() => {
    log.warn('drain timed out; closing remaining connections');
    server.closeAllConnections();
  }, config.shutdownTimeoutMs);
  force.unref();
  server.closeIdleConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await api.close();
  log.info('api stopped');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
