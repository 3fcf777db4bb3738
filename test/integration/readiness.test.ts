import { Connection } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { createDb } from '../../core/db/knex.js';
import { freePort } from '../../scripts/dev/processes.js';
import { readinessChecks } from '../../core/health/readiness.js';
import { call, startApi, testDb } from '../helpers/stack.js';

describe('health and readiness', () => {
  it('is live and ready when Postgres and Temporal answer', async () => {
    const api = await startApi();
    try {
      expect((await call(`${api.url}/healthz`)).json).toEqual({ status: 'ok' });
      const r = await call(`${api.url}/readyz`);
      expect(r.status).toBe(200);
      expect(r.json.checks).toEqual({ postgres: { status: 'ok' }, temporal: { status: 'ok' } });
    } finally {
      await api.close();
    }
  });

  it('answers 503 naming postgres when the database is down, and stays live', async () => {
    // A real connection attempt to a port where no PostgreSQL listens.
    const deadDb = createDb(`postgres://postgres:postgres@127.0.0.1:${await freePort()}/collexa`, 1);
    const api = await startApi({ db: deadDb });
    try {
      const r = await call(`${api.url}/readyz`);
      expect(r.status).toBe(503);
      expect(r.json.error.code).toBe('not_ready');
      expect(r.json.error.message).toContain('postgres');
      expect(r.json.error.details.failing).toEqual(['postgres']);
      expect(r.json.error.details.checks.temporal.status).toBe('ok');
      expect((await call(`${api.url}/healthz`)).status).toBe(200);
    } finally {
      await api.close();
      await deadDb.destroy();
    }
  });

  it('answers 503 naming temporal when Temporal is unreachable', async () => {
    const dead = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 500 });
    const db = testDb();
    // The same checks the API server uses, over a connection to a port where no Temporal listens.
    const api = await startApi({ db, readiness: readinessChecks({ db, temporal: dead }) });
    try {
      const r = await call(`${api.url}/readyz`);
      expect(r.status).toBe(503);
      expect(r.json.error.details.failing).toEqual(['temporal']);
      expect(r.json.error.details.checks.postgres.status).toBe('ok');
    } finally {
      await api.close();
      await db.destroy();
      await dead.close().catch(() => undefined);
    }
  });
});
