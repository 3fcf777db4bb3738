/**
 * A postgres server's one connection to its database: opened on first use (through the egress proxy),
 * its calls one at a time (each is a transaction of its own), reopened after it broke, closed when idle.
 * Reads run in `BEGIN READ ONLY` and are rolled back, writes commit; then DISCARD ALL, so nothing a
 * statement set for the session (a role, a search_path, an advisory lock) outlives it. Every statement has a
 * time bound, and the whole call one the tool's SQL cannot lift (set_config('statement_timeout', '0') can
 * lift the first): past it, or when the caller gives up, the call's backend is terminated.
 */
import pg from 'pg';
import type { PgTarget } from './pg-credential.js';
import { pgError } from './pg-errors.js';
import { openTunnel, proxyFor } from './pg-tunnel.js';

export interface PgSessionOptions {
  statementTimeoutMs: number;
  connectTimeoutMs?: number;
  idleMs?: number;
}

const DEFAULT_CONNECT_MS = 10_000;

/** The connection is gone (ended by the server, or its socket closed), not the statement refused. */
const broken = (err: unknown) => {
  const e = err as { code?: unknown; message?: unknown };
  return (
    (typeof e?.code === 'string' && (e.code.startsWith('08') || e.code === '57P01')) ||
    (typeof e?.message === 'string' && /Connection terminated|not queryable|ECONNRESET|EPIPE/i.test(e.message))
  );
};
const DEFAULT_IDLE_MS = 5 * 60_000;
// The call's own bound: the statement timeout plus time for its few bookkeeping statements.
const CALL_GRACE_MS = 5_000;

export class PgSession {
  private client?: Promise<pg.Client>;
  /** The client `client` resolved to, while it is the session's. */
  private live?: pg.Client;
  private queue: Promise<unknown> = Promise.resolve();
  private idle?: NodeJS.Timeout;

  constructor(
    private readonly target: PgTarget,
    private readonly opts: PgSessionOptions,
  ) {}

  /** `fn` in a read-only transaction, rolled back after; the session's state reset. */
  read<T>(fn: (client: pg.Client) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.transaction('BEGIN READ ONLY', 'ROLLBACK', fn, 'DISCARD ALL', signal);
  }

  /** `fn` in a read-write transaction, committed after; the session's state reset. */
  write<T>(fn: (client: pg.Client) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.transaction('BEGIN', 'COMMIT', fn, 'DISCARD ALL', signal);
  }

  async close(): Promise<void> {
    clearTimeout(this.idle);
    const client = this.client;
    this.client = undefined;
    this.live = undefined;
    await client?.then((c) => c.end()).catch(() => undefined);
  }

  private transaction<T>(
    begin: string,
    end: string,
    fn: (client: pg.Client) => Promise<T>,
    after?: string,
    signal?: AbortSignal,
  ): Promise<T> {
    const run = async () => {
      clearTimeout(this.idle);
      signal?.throwIfAborted();
      let client = await this.connected();
      let stopped: string | undefined;
      const stop = (why: string) => {
        if (stopped) return;
        stopped = why;
        void this.terminate(client);
      };
      const bound = this.opts.statementTimeoutMs + CALL_GRACE_MS;
      const timer = setTimeout(() => stop(`it ran past its ${Math.round(bound / 1000)} s bound`), bound).unref();
      const onAbort = () => stop('its caller gave up');
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        // A connection the server ended while idle (a restart, a sandbox's reset) fails here, before any
        // statement of the call ran: once more on a new one.
        await client.query(begin).catch(async (err: unknown) => {
          if (!broken(err)) throw err;
          this.drop(client);
          client = await this.connected();
          await client.query(begin);
        });
        // A literal: SET takes no parameters; the value is an integer of ours.
        await client.query(`SET LOCAL statement_timeout = ${Math.floor(this.opts.statementTimeoutMs)}`);
        const out = await fn(client);
        await client.query(end);
        if (after) await client.query(after);
        return out;
      } catch (err) {
        if (stopped) {
          this.drop(client);
          throw pgError({ code: '57014', message: `the call was stopped: ${stopped}` });
        }
        await client.query('ROLLBACK').catch(() => this.drop(client));
        throw pgError(err);
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.idle = setTimeout(() => void this.close(), this.opts.idleMs ?? DEFAULT_IDLE_MS).unref();
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private connected(): Promise<pg.Client> {
    this.client ??= this.open().then(
      (c) => (this.live = c),
      (err: unknown) => {
        this.client = undefined;
        throw pgError(err);
      },
    );
    return this.client;
  }

  private async open(): Promise<pg.Client> {
    const { host, port, user, password, database, ssl } = this.target;
    const timeout = this.opts.connectTimeoutMs ?? DEFAULT_CONNECT_MS;
    const proxy = proxyFor(host, port);
    const socket = proxy ? await openTunnel(proxy, host, port, timeout) : undefined;
    if (socket)
      // pg connects the stream it is given: this one is connected already, through the proxy.
      (socket as unknown as { connect: () => unknown }).connect = () => {
        process.nextTick(() => {
          socket.emit('connect');
          socket.resume();
        });
        return socket;
      };
    const client = new pg.Client({
      host,
      port,
      user,
      password,
      database,
      ssl,
      connectionTimeoutMillis: timeout,
      application_name: 'collexa',
      keepAlive: true,
      ...(socket ? { stream: () => socket } : {}),
    });
    // A connection that breaks between calls is dropped; the next call opens another.
    client.on('error', () => this.drop(client));
    client.on('end', () => this.drop(client));
    try {
      await client.connect();
    } catch (err) {
      socket?.destroy();
      await client.end().catch(() => undefined);
      throw err;
    }
    return client;
  }

  /**
   * Ends the backend serving `client` from a second connection (a role may terminate its own backends), so
   * a statement that lifted its own timeout stops and its transaction's locks go; then drops `client`.
   */
  private async terminate(client: pg.Client): Promise<void> {
    const pid = (client as unknown as { processID?: number }).processID;
    if (typeof pid === 'number') {
      const other = await this.open().catch(() => undefined);
      await other?.query('SELECT pg_terminate_backend($1)', [pid]).catch(() => undefined);
      await other?.end().catch(() => undefined);
    }
    this.drop(client);
  }

  /** Forgets `client` if it is still the session's (an old one ending later leaves a new one be), and ends it. */
  private drop(client: pg.Client): void {
    if (this.live === client) {
      this.live = undefined;
      this.client = undefined;
    }
    void client.end().catch(() => undefined);
  }
}
