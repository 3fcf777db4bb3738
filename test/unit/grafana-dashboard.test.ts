// ops/grafana/collexa-dashboard.json queries only series Collexa exports: a renamed metric fails here, not
// on an operator's empty panel. The Temporal SDK's temporal_* series are the SDK's (worker-metrics.test.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../core/paths.js';
import { createApiMetrics } from '../../core/metrics/api-metrics.js';
import { platformRegistry } from '../../core/metrics/platform-metrics.js';
import type { Db } from '../../core/db/knex.js';

const dashboard = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'ops/grafana/collexa-dashboard.json'), 'utf8')) as {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
};

describe('the Grafana dashboard', () => {
  it('names only metrics the API and worker register', async () => {
    // Registering needs no database: gauges read it only when scraped.
    const api = createApiMetrics({} as Db);
    const known = new Set<string>();
    for (const m of [...(await api.metricNames()), ...platformRegistry.getMetricsAsArray().map((x) => x.name)]) {
      known.add(m);
      for (const suffix of ['_bucket', '_sum', '_count']) known.add(`${m}${suffix}`);
    }
    const used = dashboard.panels.flatMap((p) =>
      p.targets.flatMap((t) => [...t.expr.matchAll(/\b(collexa_[a-z_]+)\b/g)].map((m) => m[1]!)),
    );
    expect(used.length).toBeGreaterThan(10);
    const unknown = used.filter((name) => !known.has(name) && !name.startsWith('collexa_worker_'));
    expect(unknown).toEqual([]);
    expect(dashboard.panels.every((p) => p.targets.length > 0)).toBe(true);
  });
});
