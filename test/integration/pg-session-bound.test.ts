// The postgres integration's session against the real PostgreSQL: a statement that lifts its own
// statement_timeout (set_config inside the query, read again as rows are paged) is still stopped at the
// call's bound, its backend terminated; a caller giving up stops it too; session state never outlives a read.
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parsePgCredential } from '../../core/integrations/postgres/pg-credential.js';
import { boundedQuery } from '../../core/integrations/postgres/pg-query.js';
import { PgSession } from '../../core/integrations/postgres/pg-session.js';

const target = parsePgCredential(inject('databaseUrl'));
const sessions: PgSession[] = [];
const session = (statementTimeoutMs: number) => {
  const s = new PgSession(target, { statementTimeoutMs });
  sessions.push(s);
  return s;
};
afterAll(() => Promise.all(sessions.map((s) => s.close())));

const LIFTING =
  "select set_config('statement_timeout', '0', true), case when n > 50 then pg_sleep(30) end from generate_series(1, 100) n";

describe('a postgres session’s call bound', () => {
  it('stops a query that lifted its own timeout, and the next call runs on a new connection', async () => {
    const s = session(300);
    const pid = async () => (await s.read((c) => c.query('select pg_backend_pid() as pid'))).rows[0].pid as number;
    const before = await pid();
    const started = Date.now();
    const err = await s.read((c) => boundedQuery(c, LIFTING, [], 1000, 1 << 20)).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(err).toMatchObject({ status: 408, code: 'query_canceled' });
    expect(String((err as Error).message)).toMatch(/ran past its/);
    const after = await pid();
    expect(after).not.toBe(before);
    // The old backend is gone, not just left behind by the client.
    const left = await s.read((c) =>
      c.query('select count(*)::int as n from pg_stat_activity where pid = $1', [before]),
    );
    expect(left.rows).toEqual([{ n: 0 }]);
  }, 30_000);

  it('stops a query when its caller gives up', async () => {
    const s = session(60_000);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const started = Date.now();
    const err = await s.read((c) => c.query('select pg_sleep(30)'), ac.signal).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(String((err as Error).message)).toMatch(/caller gave up/);
    const sleeping = async () =>
      (
        await s.read((c) =>
          c.query("select count(*)::int as n from pg_stat_activity where query = 'select pg_sleep(30)'"),
        )
      ).rows[0].n as number;
    for (let i = 0; i < 50 && (await sleeping()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await sleeping()).toBe(0);
  }, 30_000);

  it('releases an advisory lock a read took', async () => {
    const s = session(5_000);
    await s.read((c) => c.query('select pg_advisory_lock(4242)'));
    const held = await s.read((c) =>
      c.query("select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = 4242"),
    );
    expect(held.rows).toEqual([{ n: 0 }]);
  });
});
