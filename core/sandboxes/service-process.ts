import { spawn } from 'node:child_process';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';
import { McpCallError } from '../mcp/call-error.js';
import { sandboxedLaunch, sandboxUser, type ProcessLimits, type SandboxSettings } from '../mcp/sandbox.js';
import type { SecretValue } from '../secrets/redact.js';
import { bridgeDir, openBridges, type ReachRoute } from './host-bridges.js';
import { OutputTail } from './output-tail.js';
import { killTree, recordOf, type ProcessRecord } from './process-record.js';

export { killRecorded, type KillOutcome, type ProcessRecord } from './process-record.js';
export type { ReachRoute } from './host-bridges.js';

/** A long-lived HTTP service to run in the stdio-server sandbox (Prism, the emulator). */
export interface ServiceSpec {
  /** The sandbox id: names the work dir and the bridge dir. */
  id: string;
  /** The org: its uid and workspace, as for stdio servers. */
  orgId: string;
  /** For messages and logs. */
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  /** The port the service listens on, on 127.0.0.1 of its own network namespace. */
  innerPort: number;
  /** Host paths inside the org's workspace the service may read. */
  readablePaths: string[];
  /** Files of Collexa's own code under core/ it runs (its entry script), bound read-only. */
  shippedFiles?: string[];
  limits: ProcessLimits;
  /** Host TCP addresses reachable from inside, each at 127.0.0.1:innerPort there (the emulator's PostgreSQL). */
  reach?: ReachRoute[];
  /** Polled until it gets any HTTP answer; default '/'. */
  readyPath?: string;
  /** Default 30 s. */
  startTimeoutMs?: number;
  /** Values redacted from what the service prints before it is logged or quoted. */
  secrets?: SecretValue[];
  /** Called with the process's record as soon as it is spawned, before it is ready (the sandbox row keeps it). */
  onRecord?: (record: ProcessRecord) => void | Promise<void>;
}

export interface ServiceExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last few KiB it printed. */
  output: string;
}

export interface RunningService {
  /** `http://127.0.0.1:<free port>`. */
  url: string;
  pid: number;
  record: ProcessRecord;
  /** Resolves when the process has ended (stopped, crashed or killed); its sockets are removed then too. */
  exited: Promise<ServiceExit>;
  /** Stops it (idempotent): the service gets SIGTERM, then SIGKILL after a grace period; sockets are removed. */
  stop(): Promise<void>;
}

/** A service did not come up: refused by the sandbox, exited early, or no HTTP answer in time. */
export class ServiceStartError extends Error {
  constructor(
    readonly serviceName: string,
    message: string,
    /** The last few KiB it printed ('' when it never ran). */
    readonly output: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ServiceStartError';
  }
}

const DEFAULT_START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const POLL_MS = 100;

/**
 * Starts `spec` inside the stdio-server sandbox (core/mcp/sandbox.ts: its own uid, no network, rlimits)
 * behind ingress-forwarder.mjs, bridged to a free port of 127.0.0.1 on the host, and resolves once it
 * answers HTTP on `readyPath`. Its process leads its own process group; `record` identifies it for
 * killRecorded. A refused, crashed or silent start stops everything and throws ServiceStartError.
 */
export async function startService(spec: ServiceSpec, settings: SandboxSettings, log: Logger): Promise<RunningService> {
  const bridges = await openBridges({
    dir: bridgeDir(settings.workRoot, spec.id),
    uid: sandboxUser(spec.orgId, settings),
    innerPort: spec.innerPort,
    reach: spec.reach ?? [],
  });
  let launch;
  try {
    const { id, orgId, name, command, args, readablePaths, shippedFiles, limits } = spec;
    launch = sandboxedLaunch(
      {
        id,
        orgId,
        name,
        command,
        args,
        readablePaths,
        shippedFiles,
        limits,
        network: false,
        writablePaths: [],
        bridges: bridges.sandbox,
      },
      settings,
    );
  } catch (err) {
    await bridges.close();
    throw err instanceof McpCallError ? new ServiceStartError(spec.name, err.message, '', { cause: err }) : err;
  }
  const output = new OutputTail(spec.secrets ?? [], (stream, line) =>
    stream === 'stderr'
      ? log.info({ sandboxService: spec.name }, line)
      : log.debug({ sandboxService: spec.name }, line),
  );
  // detached: its own process group, so a stop (or killRecorded) reaches it and nothing else.
  const child = spawn(launch.command, launch.args, {
    cwd: launch.cwd,
    env: { ...launch.env, ...spec.env },
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  for (const stream of ['stdout', 'stderr'] as const)
    child[stream].setEncoding('utf8').on('data', (text: string) => output.push(stream, text));
  child.stdin.on('error', () => {}); // the process may be gone before its stop closes stdin
  let ended: ServiceExit | undefined;
  const exited = new Promise<ServiceExit>((resolve) => {
    child.once('error', (err) => {
      output.push('stderr', `could not start: ${err.message}\n`);
      // Never spawned: no 'close' follows.
      if (child.pid === undefined) resolve((ended = { code: null, signal: null, output: output.text() }));
    });
    child.once('close', (code, signal) => resolve((ended = { code, signal, output: output.text() })));
  });
  // Nothing answers behind them any more.
  void exited.then(() => bridges.close());

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (!ended && child.pid !== undefined) {
        // A signal to bwrap kills everything inside at once; the forwarder inside turns the end of its
        // stdin into SIGTERM to the service, so that is the graceful stop.
        child.stdin.end();
        const graceful = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS, false)]);
        if (!graceful) killTree(child.pid);
        await exited;
      }
      await bridges.close();
    })());

  const fail = async (why: string, cause?: unknown): Promise<never> => {
    await stop();
    const printed = output.text();
    throw new ServiceStartError(
      spec.name,
      `sandbox service ${spec.name} ${why}${printed ? `; it printed: ${printed.slice(-2_000)}` : ''}`,
      printed,
      cause === undefined ? undefined : { cause },
    );
  };

  if (child.pid === undefined) return fail('could not be spawned');
  let record: ProcessRecord;
  try {
    record = recordOf(child.pid);
    await spec.onRecord?.(record);
  } catch (err) {
    return fail(`was stopped: recording its process failed (${(err as Error).message})`, err);
  }

  const readyPath = spec.readyPath ?? '/';
  const timeoutMs = spec.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await answersHttp(`${bridges.url}${readyPath}`, Math.max(100, Math.min(2_000, deadline - Date.now())))) break;
    if (ended) return fail(`exited (${describeExit(ended)}) before it answered HTTP`);
    if (Date.now() >= deadline) return fail(`did not answer HTTP on ${readyPath} within ${timeoutMs} ms`);
    await Promise.race([sleep(POLL_MS), exited]);
  }
  log.info({ sandboxService: spec.name, url: bridges.url, pid: child.pid }, 'sandbox service ready');
  return { url: bridges.url, pid: child.pid, record, exited, stop };
}

function describeExit(exit: ServiceExit): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
}

/** Whether `url` gives any HTTP answer (any status) within `timeoutMs`. */
function answersHttp(url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}
