// The worker process (`npm run worker`): connects to Temporal and PostgreSQL, runs workflows and activities
// until SIGINT/SIGTERM, then drains in-flight tasks and exits.
import { DefaultLogger, NativeConnection, Runtime, makeTelemetryFilterString, type LogLevel } from '@temporalio/worker';
import { StartupError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import { configOrExit } from '../scripts/entry.js';
import { dataConverterFromConfig } from '../core/temporal/data-converter.js';
import { startSandboxReconciler } from '../core/sandboxes/reconciler.js';
import { Client } from '@temporalio/client';
import { ensureUsageReporting } from '../core/billing/usage-reporting.js';
import { createWorker } from './create-worker.js';
import { createWorkerDeps, type WorkerDeps } from './worker-deps.js';
import { loadWorkflowBundle } from './workflow-bundle.js';
import { freePort } from '../core/net/free-port.js';
import { startWorkerMetricsServer, type WorkerMetricsServer } from '../core/metrics/worker-metrics-server.js';

// Only the entry points exit the process: core throws a StartupError saying why it cannot start.
const config = configOrExit();
const logger = createLogger({ level: config.logLevel, name: 'collexa-worker' });

// The SDK's own log lines (worker state changes, task failures) go through pino like everything else.
const sdkLevels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};
// With WORKER_METRICS_PORT, the SDK's Prometheus exporter listens on a loopback port that only the worker's
// authenticated /metrics reads (core/metrics/worker-metrics-server.ts), so it needs no auth of its own.
const sdkMetricsPort = config.workerMetrics ? await freePort() : undefined;
Runtime.install({
  logger: new DefaultLogger('INFO', ({ level, message, meta }) => logger[sdkLevels[level]]({ sdk: meta }, message)),
  shutdownSignals: ['SIGINT', 'SIGTERM'],
  telemetryOptions: {
    logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
    ...(sdkMetricsPort
      ? {
          metrics: {
            prometheus: {
              bindAddress: `127.0.0.1:${sdkMetricsPort}`,
              countersTotalSuffix: false,
              useSecondsForDurations: true,
            },
          },
        }
      : {}),
  },
});

let worker: WorkerDeps | undefined;
let metricsServer: WorkerMetricsServer | undefined;
try {
  if (config.workerMetrics && config.metricsToken) {
    metricsServer = await startWorkerMetricsServer({
      ...config.workerMetrics,
      token: config.metricsToken,
      sdkMetricsUrl: `http://127.0.0.1:${sdkMetricsPort}/metrics`,
      logger,
    });
    logger.info({ port: metricsServer.port }, 'worker metrics listening');
  }
  worker = await createWorkerDeps(config, { logger });
  logger.info({ policyVersion: worker.deps.policy.version }, 'policy loaded');
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const workflowBundle = await loadWorkflowBundle(config.temporal.workflowBundlePath);
  const running = await createWorker({
    connection,
    config,
    deps: worker.deps,
    workflowBundle,
    dataConverter: dataConverterFromConfig(config.vault).dataConverter,
  });
  if (config.billing.reportUsage) {
    const client = new Client({
      connection,
      namespace: config.temporal.namespace,
      dataConverter: dataConverterFromConfig(config.vault).dataConverter,
    });
    await ensureUsageReporting(client, config.temporal.taskQueue, config.billing.reportIntervalMs);
  }
  logger.info({ taskQueue: config.temporal.taskQueue, address: config.temporal.address }, 'worker ready');
  // What a worker lost before this one (killed, crashed) left of its sandboxes goes now, and every minute.
  const stopReconciler = worker.deps.sandboxHost
    ? startSandboxReconciler(worker.deps.sandboxHost, logger)
    : () => undefined;
  // Resolves once a shutdown signal arrived and in-flight tasks drained (Runtime's shutdownSignals).
  await running.run();
  stopReconciler();
  await connection.close();
  logger.info('worker stopped');
} catch (err) {
  if (err instanceof StartupError) logger.fatal(err.details, err.message);
  else logger.fatal({ err }, 'worker failed');
  process.exitCode = err instanceof StartupError ? err.exitCode : 1;
} finally {
  await metricsServer?.close();
  await worker?.close();
}
