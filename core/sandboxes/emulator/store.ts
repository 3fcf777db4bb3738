/**
 * The databases of emulated sandboxes, in the platform's PostgreSQL: one role and one database per sandbox,
 * both named `sbx_<32 hex of the sandbox id>`, the database owned by the role, the role allowed nothing else
 * (no superuser, createdb, createrole, inheritance, replication; a small connection limit; statement timeouts).
 * The platform's own databases are closed to PUBLIC (so to every sandbox role) before the first one is made.
 * Identifiers are only ever built from a validated hex id; other names reach SQL through format('%I').
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { seedRows, specFixtures, checkFixtures, type Fixtures } from './fixtures.js';
import { inferResources } from './inference.js';
import { parseSpec } from './openapi.js';
import { EMULATOR_DDL, RESET_SQL } from './rows.js';
import { EMULATOR_DEFAULTS } from './server.js';
import { SpecValidator } from './validator.js';

/** How the emulator of a sandbox logs in: its database and role (same name) and the role's password. */
export interface EmulatorDatabase {
  database: string;
  user: string;
  password: string;
}

/** A sandbox's database or role found in the cluster, for the reconciler. */
export interface EmulatorDatabaseEntry {
  sandboxId: string;
  name: string;
  database: boolean;
  role: boolean;
}

export interface EmulatorStoreOptions {
  /** The platform's DATABASE_URL: a superuser, or a role with CREATEDB and CREATEROLE that owns its database. */
  databaseUrl: string;
  /** The sandbox role's connection limit; the emulator's pool holds 3. */
  connectionLimit?: number;
  /** Databases closed to PUBLIC before the first sandbox: default the platform's own, `postgres` and `template1`. */
  lockDatabases?: string[];
  maxFixtures?: number;
}

const NAME = /^sbx_[0-9a-f]{32}$/;
// pg_advisory_xact_lock key of the lock-down: "sbx" in ASCII.
const LOCK_KEY = 0x736278;

/** `sbx_<hex>` for a sandbox id (a UUID, dashes or not); anything else is refused before it nears SQL. */
export function emulatorDatabaseName(sandboxId: string): string {
  const hex = sandboxId.toLowerCase().replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/.test(hex) || !/^[0-9a-f-]+$/i.test(sandboxId))
    throw new Error(`A sandbox id is a UUID, not ${JSON.stringify(sandboxId.slice(0, 64))}`);
  return `sbx_${hex}`;
}

const uuidOf = (name: string) => name.slice(4).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');

/** Creates, resets, drops and lists the databases of emulated sandboxes. */
export class EmulatorStore {
  private locked?: Promise<void>;

  constructor(private readonly opts: EmulatorStoreOptions) {}

  /**
   * A fresh database for the sandbox, seeded from `fixtures` (default: the spec's `x-collexa-fixtures`); whatever
   * an earlier attempt left under the same name is dropped first, so a retried activity starts clean.
   */
  async create(sandboxId: string, spec: unknown, fixtures?: Fixtures): Promise<EmulatorDatabase> {
    emulatorDatabaseName(sandboxId); // a bad id is refused before any work
    // Bounded as the emulator bounds the file it reads (size, depth, OpenAPI 3).
    const doc = parseSpec(JSON.stringify(spec) ?? '');
    const rows = seedRows(
      doc,
      inferResources(doc),
      new SpecValidator(doc),
      fixtures ? checkFixtures(fixtures) : specFixtures(doc),
      this.opts.maxFixtures ?? EMULATOR_DEFAULTS.maxResources,
    );
    const db = await this.fresh(sandboxId);
    try {
      await this.withAdmin(db.database, async (admin) => {
        await admin.query(`set role ${db.user}`);
        await admin.query(EMULATOR_DDL);
        await admin.query(
          `insert into seed (collection, parent, id, seq, body, created_at, updated_at)
           select collection, parent, id, seq, body, now(), now()
           from jsonb_to_recordset($1::jsonb) as r(collection text, parent text, id text, seq bigint, body jsonb)`,
          [JSON.stringify(rows)],
        );
        await admin.query(`begin; ${RESET_SQL} commit;`);
      });
    } catch (err) {
      await this.drop(sandboxId).catch(() => undefined);
      throw err;
    }
    return db;
  }

  /**
   * A fresh database for a sandbox that is a database itself (PostgreSQL's): no emulator tables, only
   * what `seedSql` makes, run as the sandbox's role so everything in it is the role's own.
   */
  async createScratch(sandboxId: string, seedSql: string): Promise<EmulatorDatabase> {
    const db = await this.fresh(sandboxId);
    try {
      await this.seedScratch(db.database, seedSql);
    } catch (err) {
      await this.drop(sandboxId).catch(() => undefined);
      throw err;
    }
    return db;
  }

  /** A scratch database back to its seed: all the role owns there dropped, then `seedSql` again. */
  async resetScratch(sandboxId: string, seedSql: string): Promise<void> {
    const name = emulatorDatabaseName(sandboxId);
    // The role's sessions first: a transaction of theirs would hold locks the drop waits for.
    await this.withAdmin(undefined, (admin) =>
      admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and usename = $1', [name]),
    );
    // DROP OWNED, not a schema drop: public is pg_database_owner's from PostgreSQL 15 on, a superuser's before.
    await this.seedScratch(name, `drop owned by ${name}; ${seedSql}`);
  }

  private async seedScratch(name: string, sql: string): Promise<void> {
    await this.withAdmin(name, async (admin) => {
      await admin.query(`set role ${name}`);
      await admin.query(`begin; ${sql}; commit;`);
    });
  }

  /**
   * The sandbox's role (a new password) and its empty database, owned by it and closed to PUBLIC; whatever
   * an earlier attempt left under the name is dropped first, so a retried activity starts clean.
   */
  private async fresh(sandboxId: string): Promise<EmulatorDatabase> {
    const name = emulatorDatabaseName(sandboxId);
    await this.lockDown();
    await this.drop(sandboxId);
    const password = randomBytes(24).toString('hex');
    const limit = this.opts.connectionLimit ?? 4;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      throw new Error(`connectionLimit ${limit} is not 1 to 100`);
    try {
      await this.withAdmin(undefined, async (db) => {
        const { rows: me } = await db.query<{ super: boolean }>(
          'select rolsuper as super from pg_roles where rolname = current_user',
        );
        // name and password are hex we made; limit an integer.
        await db.query(
          `create role ${name} login password '${password}' nosuperuser nocreatedb nocreaterole noinherit
           noreplication nobypassrls connection limit ${limit}`,
        );
        await db.query(`alter role ${name} set statement_timeout = '10s'`);
        await db.query(`alter role ${name} set idle_in_transaction_session_timeout = '30s'`);
        // A non-superuser platform role acts on the sandbox's database as a member of its role.
        if (!me[0]?.super) await db.query(`grant ${name} to current_user with inherit true, set true`);
        await db.query(`create database ${name} owner ${name} template template0`);
        await db.query(`revoke all on database ${name} from public`);
      });
    } catch (err) {
      await this.drop(sandboxId).catch(() => undefined);
      throw err;
    }
    return { database: name, user: name, password };
  }

  /** Back to the seed: everything created, changed or deleted since is as it was. */
  async reset(sandboxId: string): Promise<void> {
    const name = emulatorDatabaseName(sandboxId);
    await this.withAdmin(name, async (db) => {
      await db.query(`set role ${name}`);
      await db.query(`begin; ${RESET_SQL} commit;`);
    });
  }

  /** Drops the database (ending its connections) and the role; nothing there is not an error. */
  async drop(sandboxId: string): Promise<void> {
    const name = emulatorDatabaseName(sandboxId);
    await this.withAdmin(undefined, async (db) => {
      const { rowCount } = await db.query('select 1 from pg_roles where rolname = $1', [name]);
      // No new logins while the database goes: an emulator's pool would otherwise reconnect.
      if (rowCount) await db.query(`alter role ${name} nologin`);
      await db.query(`drop database if exists ${name} with (force)`);
      await db.query(`drop role if exists ${name}`);
    });
  }

  /** Every sandbox database or role in the cluster. */
  async list(): Promise<EmulatorDatabaseEntry[]> {
    return this.withAdmin(undefined, async (db) => {
      const { rows } = await db.query<{ name: string; kind: 'database' | 'role' }>(
        `select datname as name, 'database' as kind from pg_database where datname ~ '^sbx_[0-9a-f]{32}$'
         union all select rolname, 'role' from pg_roles where rolname ~ '^sbx_[0-9a-f]{32}$'`,
      );
      const byName = new Map<string, EmulatorDatabaseEntry>();
      for (const r of rows) {
        if (!NAME.test(r.name)) continue;
        const e = byName.get(r.name) ?? { sandboxId: uuidOf(r.name), name: r.name, database: false, role: false };
        e[r.kind] = true;
        byName.set(r.name, e);
      }
      return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
    });
  }

  /**
   * PUBLIC may CONNECT to (and make TEMP tables in) every database by default, so a sandbox role could log
   * in to the platform's. Each locked database the platform role owns (or every one, for a superuser) grants
   * those to the platform role and revokes them from PUBLIC. Once per store, under an advisory lock: two
   * workers changing one database's ACL at once would fail ("tuple concurrently updated").
   */
  lockDown(): Promise<void> {
    this.locked ??= this.withAdmin(undefined, async (db) => {
      const names = this.opts.lockDatabases ?? [null, 'postgres', 'template1'];
      await db.query('begin');
      await db.query('select pg_advisory_xact_lock($1)', [LOCK_KEY]);
      for (const requested of names) {
        const { rows } = await db.query<{ grant: string; revoke: string }>(
          `select format('grant connect, temporary on database %I to %I', datname, current_user) as grant,
                  format('revoke connect, temporary on database %I from public', datname) as revoke
           from pg_database d
           where datname = coalesce($1, current_database())
             and (pg_has_role(datdba, 'usage') or (select rolsuper from pg_roles where rolname = current_user))
             and exists (select 1 from aclexplode(coalesce(datacl, acldefault('d', datdba))) a
                         where a.grantee = 0 and a.privilege_type in ('CONNECT', 'TEMPORARY'))`,
          [requested],
        );
        for (const r of rows) {
          await db.query(r.grant);
          await db.query(r.revoke);
        }
      }
      await db.query('commit');
    }).catch((err: unknown) => {
      this.locked = undefined;
      throw err;
    });
    return this.locked;
  }

  /**
   * The databases a sandbox role could still log in to, as PUBLIC may connect to them: ones the lock-down
   * did not cover or could not change (another owner's, with a platform role that is not a superuser).
   * Close them with `REVOKE CONNECT ON DATABASE … FROM PUBLIC`, or in pg_hba.conf.
   */
  async openDatabases(): Promise<string[]> {
    return this.withAdmin(undefined, async (db) => {
      const { rows } = await db.query<{ datname: string }>(
        `select datname from pg_database d
         where datallowconn and datname !~ '^sbx_[0-9a-f]{32}$'
           and exists (select 1 from aclexplode(coalesce(datacl, acldefault('d', datdba))) a
                       where a.grantee = 0 and a.privilege_type = 'CONNECT')
         order by datname`,
      );
      return rows.map((r) => r.datname);
    });
  }

  private async withAdmin<T>(database: string | undefined, fn: (db: pg.Client) => Promise<T>): Promise<T> {
    const url = new URL(this.opts.databaseUrl);
    if (database !== undefined) url.pathname = `/${database}`;
    const db = new pg.Client({
      connectionString: url.toString(),
      connectionTimeoutMillis: 5000,
      application_name: 'collexa-emulator-store',
    });
    await db.connect();
    try {
      return await fn(db);
    } finally {
      await db.end().catch(() => undefined);
    }
  }
}
