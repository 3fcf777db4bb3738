import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../core/config.js';

describe('config', () => {
  it('applies the documented defaults (embedded Postgres and the dev Temporal server)', () => {
    const c = loadConfig({});
    expect(c.http.port).toBe(3000);
    expect(c.db.external).toBe(false);
    expect(c.db.url).toBe('postgres://postgres:postgres@127.0.0.1:5433/collexa');
    expect(c.temporal.address).toBe('127.0.0.1:7233');
    expect(c.temporal.external).toBe(false);
    expect(c.temporal.namespace).toBe('default');
  });

  it('switches to external services when DATABASE_URL and TEMPORAL_ADDRESS are set', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/x', TEMPORAL_ADDRESS: 'temporal:7233' });
    expect(c.db).toMatchObject({ url: 'postgres://u:p@db:5432/x', external: true });
    expect(c.temporal).toMatchObject({ address: 'temporal:7233', external: true });
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).http.port).toBe(3000);
  });

  it('names every invalid variable', () => {
    let err: unknown;
    try {
      loadConfig({ PORT: 'abc', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', TEMPORAL_ADDRESS: 'no-port' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    for (const name of ['PORT="abc"', 'DATABASE_URL="mysql://x"', 'LOG_LEVEL="loud"', 'TEMPORAL_ADDRESS="no-port"'])
      expect(message).toContain(name);
  });

  it('rejects out-of-range ports', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT="70000"/);
  });
});
