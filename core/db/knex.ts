import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import { MIGRATIONS_DIR } from '../paths.js';

export type Db = Knex;

/** A knex pool on PostgreSQL. Short connect timeout so a dead database fails a request, not hangs it. */
export function createDb(url: string, poolMax = 10): Db {
  return knexFactory({
    client: 'pg',
    connection: { connectionString: url, connectionTimeoutMillis: 3000, application_name: 'collexa' },
    pool: { min: 0, max: poolMax },
    acquireConnectionTimeout: 5000,
  });
}

// Our own source rather than knex's directory loader: knex imports with Node's native loader, which cannot
// read .ts under vitest; importing from here goes through whichever TypeScript loader runs this code.
const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () =>
    readdirSync(MIGRATIONS_DIR)
      .filter((f) => /^\d{14}_[\w-]+\.ts$/.test(f))
      .sort(),
  getMigrationName: (file) => file,
  getMigration: async (file) => (await import(pathToFileURL(path.join(MIGRATIONS_DIR, file)).href)) as Knex.Migration,
};

const migrationConfig: Knex.MigratorConfig = { migrationSource, tableName: 'knex_migrations' };

/** Applies every pending migration; returns the names applied. */
export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest(migrationConfig)) as [number, string[]];
  return applied;
}

/** Rolls back the last batch; returns the names undone. */
export async function migrateRollback(db: Db, all = false): Promise<string[]> {
  const [, undone] = (await db.migrate.rollback(migrationConfig, all)) as [number, string[]];
  return undone;
}

/** Creates the database named in `url` if it does not exist (connecting to the `postgres` db). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name || name === 'postgres') return;
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const db = createDb(admin.toString(), 1);
  try {
    const { rows } = await db.raw('select 1 from pg_database where datname = ?', [name]);
    if (rows.length === 0) await db.raw('create database ??', [name]);
  } finally {
    await db.destroy();
  }
}
