// The API's Prometheus metrics (GET /metrics, api/routes/metrics.routes.ts): what this process counts as it
// serves (HTTP requests by route and status, their durations) and what PostgreSQL holds across processes,
// read at scrape time (open invocations by status and risk, the approval queue's depth and age, sandboxes by
// status, open circuit breakers). Every label is from a closed set (a route's pattern, never its path), so a
// tenant cannot grow the series count.
import type { NextFunction, Request, Response } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from '../db/knex.js';
import { platformRegistry } from './platform-metrics.js';
import { INVOCATION_STATUSES, isTerminalInvocation } from '../../contracts/invocation.contract.js';

const OPEN_STATUSES = INVOCATION_STATUSES.filter((s) => !isTerminalInvocation(s));

export interface ApiMetrics {
  contentType: string;
  /** The API's own series and the process's platform counters (core/metrics/platform-metrics.ts). */
  text(): Promise<string>;
  /** The names this registry exports (the dashboard test checks its queries against them). */
  metricNames(): Promise<string[]>;
  /** Counts each request once its response is sent, under the pattern of the route that answered it. */
  http(req: Request, res: Response, next: NextFunction): void;
}

type Row = Record<string, string | number>;

export function createApiMetrics(db: Db): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'collexa_api_' });

  const requests = new Counter({
    name: 'collexa_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'collexa_http_request_duration_seconds',
    help: 'Time from the request to its response, by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });

  // Read at scrape time: each is one grouped query over the rows that are still open, so its cost follows
  // the work in flight, not the table's history (partial indexes in migrations/20261206000000_metrics_indexes.ts).
  const fromDb = (
    name: string,
    help: string,
    labelNames: string[],
    query: () => Promise<Row[]>,
    value: (row: Row) => number,
  ) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        for (const row of await query())
          this.set(Object.fromEntries(labelNames.map((l) => [l, String(row[l])])), value(row));
      },
    });
  fromDb(
    'collexa_invocations_open',
    'Invocations not yet in a final state, by status and capability risk',
    ['status', 'risk'],
    () =>
      db('invocations as i')
        .leftJoin('agent_capabilities as c', (j) => j.on('c.agent_id', 'i.agent_id').andOn('c.name', 'i.capability'))
        .whereIn('i.status', OPEN_STATUSES)
        .groupBy('i.status', 'c.risk')
        .select('i.status as status', db.raw("coalesce(c.risk, 'unknown') as risk"), db.raw('count(*)::int as n')),
    (r) => Number(r.n),
  );
  fromDb(
    'collexa_approvals_pending',
    'Approvals waiting for a decision',
    [],
    () => db('approvals').where({ status: 'pending' }).select(db.raw('count(*)::int as n')),
    (r) => Number(r.n),
  );
  fromDb(
    'collexa_approval_oldest_pending_age_seconds',
    'Age of the oldest approval still waiting (0 when none waits)',
    [],
    () =>
      db('approvals')
        .where({ status: 'pending' })
        .select(db.raw('coalesce(extract(epoch from now() - min(created_at)), 0)::float as age')),
    (r) => Number(r.age),
  );
  fromDb(
    'collexa_sandboxes',
    'Sandboxes not yet stopped, by status',
    ['status'],
    () =>
      db('sandboxes')
        .whereNotIn('status', ['stopped', 'expired', 'failed'])
        .groupBy('status')
        .select('status', db.raw('count(*)::int as n')),
    (r) => Number(r.n),
  );
  fromDb(
    'collexa_mcp_breakers_open',
    'MCP servers whose circuit breaker is open or half open',
    ['state'],
    () =>
      db('mcp_server_breakers')
        .whereNot({ state: 'closed' })
        .groupBy('state')
        .select('state', db.raw('count(*)::int as n')),
    (r) => Number(r.n),
  );

  return {
    contentType: registry.contentType,
    text: async () => `${await registry.metrics()}\n${await platformRegistry.metrics()}`,
    metricNames: async () => registry.getMetricsAsArray().map((m) => m.name),
    http(req, res, next) {
      const end = durations.startTimer();
      res.once('finish', () => {
        // The pattern of the route that answered (`/v1/agents/:id/invoke`); anything no route took is one series.
        const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
        const labels = { method: req.method, route };
        end(labels);
        requests.inc({ ...labels, status: String(res.statusCode) });
      });
      next();
    },
  };
}
