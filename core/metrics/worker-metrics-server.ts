// The worker's GET /metrics (WORKER_METRICS_PORT): the platform counters this process moves (tool calls,
// terminal writes, LLM calls, webhook deliveries), the process's own collexa_worker_* series, and the
// Temporal SDK's worker metrics (temporal_*: task slots, poll and schedule-to-start latencies, sticky cache),
// which the SDK's Rust core serves on a loopback port that only this server reads. METRICS_TOKEN is the only
// bearer taken: the worker authenticates no API keys.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '../log.js';
import { bearerOf, isMetricsToken } from './metrics-token.js';
import { platformRegistry } from './platform-metrics.js';

export interface WorkerMetricsServer {
  port: number;
  close(): Promise<void>;
}

const SDK_SCRAPE_TIMEOUT_MS = 2_000;
const SDK_TEXT_MAX_BYTES = 4 * 1024 * 1024;

export async function startWorkerMetricsServer(opts: {
  host: string;
  port: number;
  token: string;
  /** The SDK's Prometheus exporter (Runtime telemetryOptions.metrics.prometheus), e.g. http://127.0.0.1:9464/metrics. */
  sdkMetricsUrl?: string;
  logger: Logger;
}): Promise<WorkerMetricsServer> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'collexa_worker_' });
  const sdkUp = new Gauge({
    name: 'collexa_worker_sdk_metrics_up',
    help: "1 when the Temporal SDK's own metrics were read for this scrape, else 0",
    registers: [registry],
  });

  const sdkText = async (): Promise<string> => {
    if (!opts.sdkMetricsUrl) return '';
    try {
      const res = await fetch(opts.sdkMetricsUrl, { signal: AbortSignal.timeout(SDK_SCRAPE_TIMEOUT_MS) });
      const text = res.ok ? await res.text() : '';
      sdkUp.set(res.ok && text.length <= SDK_TEXT_MAX_BYTES ? 1 : 0);
      return res.ok && text.length <= SDK_TEXT_MAX_BYTES ? text : '';
    } catch (err) {
      sdkUp.set(0);
      opts.logger.warn({ err }, 'Temporal SDK metrics could not be read');
      return '';
    }
  };

  const server = http.createServer((req, res) => {
    const answer = (status: number, code: string, message: string) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code, message, details: {} } }));
    };
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') return answer(404, 'not_found', 'only GET /metrics is served here');
    if (req.method !== 'GET') return answer(405, 'method_not_allowed', 'GET /metrics only');
    const bearer = bearerOf(req.headers.authorization);
    if (!bearer) return answer(401, 'unauthorized', 'GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>"');
    if (!isMetricsToken(bearer, opts.token)) return answer(403, 'forbidden', 'the bearer is not METRICS_TOKEN');
    void (async () => {
      const sdk = await sdkText();
      const text = `${await registry.metrics()}\n${await platformRegistry.metrics()}\n${sdk}`;
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(text);
    })().catch((err: unknown) => {
      opts.logger.error({ err }, 'worker metrics scrape failed');
      if (!res.headersSent) answer(500, 'internal', 'the scrape failed');
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
