import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort } from '../../core/net/free-port.js';

export { freePort };

/** A port that is not free: the caller turns it into a message naming the variable. */
export class PortBusyError extends Error {
  constructor(
    readonly port: number,
    readonly what: string,
  ) {
    super(`port ${port} is busy (${what}): another process is listening there; stop it or choose another port`);
  }
}

/** Resolves if nothing listens on 127.0.0.1:port (binding there is what our services will do). */
export function assertPortFree(port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', () => reject(new PortBusyError(port, what)));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve()));
  });
}

/**
 * Starts a server on a free port, again on another one when it lost its port to someone else: between
 * freePort() and the server's bind, any process binding port 0 (stripe-mock's HTTPS listener, the Temporal
 * dev server's extra listeners, a test) may take it, and the servers of a run start in parallel.
 */
export async function startOnFreePort<T>(start: (port: number) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePort());
    } catch (err) {
      if (attempt >= attempts || !/address already in use|EADDRINUSE/i.test(String(err))) throw err;
    }
  }
}

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** Settles when the process has exited, with its code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` to the process group, then SIGKILL after `timeoutMs`. */
  stop(timeoutMs: number, signal?: NodeJS.Signals): Promise<void>;
  /** The last lines the process wrote, for error messages. */
  tail(lines?: number): string;
}

const live = new Set<ManagedProcess>();
let exitHookInstalled = false;

// Children run in their own process group (so Ctrl-C reaches only the supervisor, which stops them in
// order). If the supervisor dies anyway, this synchronous hook still takes the groups down with it.
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of live) {
      try {
        if (p.child.pid) process.kill(-p.child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

/** Spawns a long-running service in its own process group, logging stdout and stderr to `logFile`. */
export function spawnService(opts: {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  uid?: number;
  gid?: number;
  onOutput?: (chunk: string) => void;
}): ManagedProcess {
  installExitHook();
  mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid } : {}),
  });
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.on('data', (chunk: Buffer) => {
      log.write(chunk);
      opts.onOutput?.(chunk.toString('utf8'));
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (err) => {
      log.write(`spawn error: ${err.message}\n`);
      resolve({ code: -1, signal: null });
    });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  }).then((r) => {
    live.delete(managed);
    log.end();
    return r;
  });
  const managed: ManagedProcess = {
    name: opts.name,
    child,
    logFile: opts.logFile,
    exited,
    async stop(timeoutMs, signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signalGroup(child, signal);
      const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
      // The group may hold grandchildren (e.g. npx → node); make sure none outlive the leader.
      signalGroup(child, 'SIGKILL');
    },
    tail(lines = 20) {
      try {
        return readFileSync(opts.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    },
  };
  live.add(managed);
  return managed;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    /* group already gone */
  }
}

/** Polls `probe` until it resolves, the deadline passes, or `process` exits (then its log tail is in the error). */
export async function waitUntil(
  what: string,
  probe: () => Promise<unknown>,
  opts: { timeoutMs: number; process?: ManagedProcess },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let exited = false;
  void opts.process?.exited.then(() => {
    exited = true;
  });
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (exited)
      throw new Error(
        `${what} exited during start-up. Last log lines (${opts.process!.logFile}):\n${opts.process!.tail()}`,
      );
    try {
      await probe();
      return;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(
    `${what} was not ready within ${opts.timeoutMs} ms: ${String((lastError as Error)?.message ?? lastError)}`,
  );
}
