import { createHash } from 'node:crypto';
import { Client, StreamableHTTPClientTransport, type CallToolResult, type Tool } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { Logger } from '../log.js';
import { McpCallError, classifyFailure, failureMessage, rejectionInResult } from './call-error.js';
import { EraVerdicts, suggestsOtherEra } from './era-verdicts.js';
import type { EgressPolicy } from '../net/egress.js';
import { guardedFetch, type GuardedFetch } from '../net/guarded-fetch.js';
import type { SecretValue } from '../secrets/redact.js';
import { EgressProxy } from '../net/egress-proxy.js';
import { egressSocketPath, type ProcessLimits, type SandboxSettings } from './sandbox.js';
import { StdioCommandPolicy } from './stdio-commands.js';
import { stdioTransport, type StdioLaunchDeps } from './stdio-launch.js';

export { McpCallError, type McpFailureKind } from './call-error.js';
export type { CallToolResult };

/**
 * How to reach one MCP server: a process to spawn (stdio, always inside the sandbox: see sandbox.ts) or a
 * Streamable HTTP endpoint (fetched under the egress policy). `secrets` are the resolved `secret:` values
 * in env or headers, redacted from the server's stderr before it is logged.
 */
export type McpServerConfig =
  | {
      id: string;
      orgId: string;
      name: string;
      transport: 'stdio';
      command: string;
      args: string[];
      env: Record<string, string>;
      network: boolean;
      writablePaths: string[];
      readablePaths: string[];
      /** Fetched by the worker (egress-checked, at most 8 MiB each) into the server's dir before it starts. */
      files?: Array<{ url: string; path: string }>;
      /** Addresses this server alone may reach beyond the egress policy (a sandbox's own server: its sandbox). */
      egressAllow?: string[];
      /** Collexa's own code it runs (an integration server's folder), bound read-only. */
      shippedFiles?: string[];
      limits: ProcessLimits;
      secrets?: SecretValue[];
    }
  | {
      id: string;
      orgId: string;
      name: string;
      transport: 'http';
      url: string;
      headers: Record<string, string>;
      secrets?: SecretValue[];
    };

/** A tool as the server lists it (JSON Schemas as sent). */
export interface ToolDefinition {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}

/** One `notifications/progress` a server sent about a call, as the SDK parsed it (numbers not yet checked). */
export interface ToolProgress {
  progress: number;
  total?: number;
  message?: string;
}

/** One tools/call request. */
export interface ToolCall {
  name: string;
  arguments: Record<string, unknown>;
  /** Sent as the request's `_meta` (beside the `progressToken` the SDK adds when `onprogress` is given). */
  meta?: Record<string, unknown>;
  /**
   * The tool's input schema as the server listed it (the caller checked the pin against it): on a
   * 2026-07-28 HTTP connection its x-mcp-header properties become Mcp-Param headers (SEP-2243).
   */
  inputSchema?: Record<string, unknown>;
  timeoutMs?: number;
  /** Asks the server for progress (a progressToken) and hears each notifications/progress of this call. */
  onprogress?: (progress: ToolProgress) => void;
  /** Aborting rejects the call with `signal.reason` (e.g. Temporal's CancelledFailure), not an McpCallError. */
  signal?: AbortSignal;
}

const DEFAULT_CALL_TIMEOUT_MS = 60_000;
const CLIENT_VERSION = '0.1.0';
// On stdio a probe that goes unanswered means a 2025 server (some never answer a request before
// initialize), so waiting the whole connect timeout would make each of them pay it at every probe. A
// slow-starting 2026-07-28 server taken for 2025 fails its initialize, and the next connect probes again.
const STDIO_PROBE_TIMEOUT_MS = 10_000;

interface Connection {
  serverId: string;
  hash: string;
  client: Client;
  transport: StdioClientTransport | StreamableHTTPClientTransport;
  ready: Promise<void>;
  /** Connected with a cached era verdict (no probe). */
  fromVerdict: boolean;
  /** The last tools/list on this connection and when it was read; dropped on tools/list_changed. */
  catalog?: { tools: Promise<ToolDefinition[]>; at: number };
  /** Set once the pool has dropped the connection and begun closing it. */
  closed?: Promise<void>;
}

/**
 * One live MCP connection per server id per process, opened on first use and shared by concurrent
 * callers. A connection whose transport closes, or whose config changes, is dropped and the next call
 * opens a new one (respawning a stdio server). Failures are thrown as classified McpCallErrors.
 *
 * Each connection speaks 2026-07-28 with a server that serves it and 2025 with any other: the SDK client
 * probes with `server/discover` at connect (`versionNegotiation: { mode: 'auto' }`) and falls back to
 * `initialize`. The verdict is kept per server and config (era-verdicts.ts), so reconnects skip the probe.
 */
export class McpClientPool {
  private readonly connections = new Map<string, Connection>();
  private readonly closing = new Set<Promise<void>>();
  private readonly logger: Logger;
  private readonly clientName: string;
  private readonly connectTimeoutMs: number;
  private readonly fetch: GuardedFetch;
  private readonly stdio: StdioLaunchDeps;
  private readonly eras: EraVerdicts;

  /**
   * `sandbox`: how stdio servers run (work dirs, workspace root, read paths, uid base). `commands`: what they
   * may run (MCP_STDIO_COMMANDS, checked again here: the operator may have narrowed it since registration).
   * `egress`: where http servers may be reached (EGRESS_ALLOW). `eraMaxAgeMs`: how long a server's protocol
   * era, once probed, is taken on trust (default an hour).
   */
  constructor(opts: {
    logger: Logger;
    sandbox: SandboxSettings;
    egress: EgressPolicy;
    commands?: StdioCommandPolicy;
    clientName?: string;
    connectTimeoutMs?: number;
    eraMaxAgeMs?: number;
  }) {
    this.logger = opts.logger;
    this.clientName = opts.clientName ?? 'collexa';
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 30_000;
    this.fetch = guardedFetch(opts.egress, { dropErrorBodies: true });
    this.stdio = {
      logger: opts.logger,
      sandbox: opts.sandbox,
      commands: opts.commands ?? new StdioCommandPolicy(),
      fetch: this.fetch,
      egressProxy: new EgressProxy(opts.egress, opts.logger),
    };
    this.eras = new EraVerdicts(opts.eraMaxAgeMs);
  }

  /**
   * Every tool the server offers, following pagination cursors. With `maxAgeMs`, a list read on the same
   * connection at most that long ago is reused (a server's tools/list_changed notification drops it).
   */
  async listTools(server: McpServerConfig, opts: { maxAgeMs?: number } = {}): Promise<ToolDefinition[]> {
    return this.withConnection(server, { repeatable: true }, async (conn) => {
      const maxAge = opts.maxAgeMs ?? 0;
      if (maxAge > 0 && conn.catalog && Date.now() - conn.catalog.at <= maxAge) return conn.catalog.tools;
      const tools = this.readTools(conn);
      conn.catalog = { tools, at: Date.now() };
      tools.catch(() => {
        if (conn.catalog?.tools === tools) conn.catalog = undefined;
      });
      return tools;
    });
  }

  private async readTools(conn: Connection): Promise<ToolDefinition[]> {
    // Without a cursor the SDK walks every page itself (at most 64, ending early on a page that repeats the
    // last). It bypasses the SDK's response cache: this pool keeps its own, per connection.
    const { tools } = await conn.client.listTools(undefined, { cacheMode: 'bypass' });
    return tools.map(toDefinition);
  }

  /** Calls a tool. A result with `isError: true` is returned, not thrown: the caller decides what it means. */
  async callTool(server: McpServerConfig, call: ToolCall): Promise<CallToolResult> {
    // With onprogress the SDK adds `progressToken` to the `_meta` we send (ours is kept beside it). Progress
    // never extends the timeout (resetTimeoutOnProgress: false, the SDK's default, stated so it stays): the
    // server's timeout is a hard cap, and a tool that keeps reporting must not hold its slot past it.
    const { onprogress } = call;
    return this.withConnection(server, { signal: call.signal }, async (conn) => {
      // Given a tool definition, client.callTool derives two things from it: on a 2026-07-28 HTTP connection
      // the Mcp-Param headers of the input schema's x-mcp-header properties (SEP-2243; a server may refuse a
      // call without them), and a check of structuredContent against the outputSchema, which throws -32602
      // after the tool has run. So it gets the caller's input schema and never the output one: a result is
      // returned as the server sent it (as client.request did on the SDK 1.x client).
      const inputSchema = call.inputSchema ?? { type: 'object' };
      const result = await conn.client.callTool(
        { name: call.name, arguments: call.arguments, ...(call.meta ? { _meta: call.meta } : {}) },
        {
          toolDefinition: { name: call.name, inputSchema: inputSchema as Tool['inputSchema'] },
          timeout: call.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
          ...(call.signal ? { signal: call.signal } : {}),
          ...(onprogress ? { onprogress, resetTimeoutOnProgress: false } : {}),
        },
      );
      const rejection = rejectionInResult(result, call.name, server.name);
      if (rejection) throw rejection;
      return result;
    });
  }

  /**
   * The health probe over the pooled connection (connecting first if needed): MCP ping, or on 2026-07-28,
   * which has no ping, `server/discover` (whose answer renews the server's era verdict).
   */
  async ping(server: McpServerConfig, timeoutMs = 10_000): Promise<void> {
    await this.withConnection(server, { repeatable: true }, async (conn) => {
      if (conn.client.getProtocolEra() === 'modern') {
        await conn.client.discover({ timeout: timeoutMs });
        this.eras.record(conn.serverId, conn.hash, conn.client);
      } else {
        await conn.client.ping({ timeout: timeoutMs });
      }
    });
  }

  /** Closes the server's connection (and stops its process, for stdio). */
  async close(serverId: string): Promise<void> {
    const conn = this.connections.get(serverId);
    if (conn) await this.retire(conn);
    await this.stdio.egressProxy.close(egressSocketPath(this.stdio.sandbox.workRoot, serverId));
  }

  /** Closes every connection and waits until every stdio process the pool started has been stopped. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.connections.values()].map((conn) => this.retire(conn)));
    await Promise.all([...this.closing]);
    await this.stdio.egressProxy.close();
  }

  /** Test hook: the pid of the server's stdio process, while connected. */
  pidOf(serverId: string): number | undefined {
    const transport = this.connections.get(serverId)?.transport;
    return transport instanceof StdioClientTransport ? (transport.pid ?? undefined) : undefined;
  }

  /**
   * Runs `use` on the server's connection. `repeatable`: `use` only reads, so it may run again on a new
   * connection after a failure that says the server changed era.
   */
  private async withConnection<T>(
    server: McpServerConfig,
    { signal, repeatable = false }: { signal?: AbortSignal; repeatable?: boolean },
    use: (conn: Connection) => Promise<T>,
  ): Promise<T> {
    signal?.throwIfAborted();
    for (let attempt = 1; ; attempt++) {
      const conn = this.acquire(server);
      try {
        await untilAborted(conn.ready, signal);
      } catch (err) {
        // The cached era verdict it connected with is gone (open()): one more connect probes the server.
        if (conn.fromVerdict && attempt === 1 && !signal?.aborted) continue;
        throw err;
      }
      try {
        return await use(conn);
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        const failure = classifyFailure(err, server.name);
        // The server changed era under a live connection (an upgrade, a downgrade): the next one probes it.
        const otherEra = suggestsOtherEra(err);
        if (otherEra) this.eras.forget(server.id, conn.hash);
        if (otherEra || failure.kind === 'connect' || failure.kind === 'disconnected') void this.retire(conn);
        // A pooled connection that had died unnoticed failed before the request left: the tool did not
        // run, so replacing the connection once is safe. So is reading again after a new probe.
        if (attempt === 1 && (failure.kind === 'connect' || (otherEra && repeatable))) continue;
        throw failure;
      }
    }
  }

  private acquire(server: McpServerConfig): Connection {
    const hash = configHash(server);
    const existing = this.connections.get(server.id);
    if (existing?.hash === hash) return existing;
    if (existing) {
      this.logger.info({ mcpServer: server.name }, 'MCP server config changed; reconnecting');
      void this.retire(existing);
    }
    const conn = this.open(server, hash);
    this.connections.set(server.id, conn);
    return conn;
  }

  private open(server: McpServerConfig, hash: string): Connection {
    const stdio = server.transport === 'stdio' ? stdioTransport(server, this.stdio) : undefined;
    const transport =
      server.transport === 'stdio'
        ? stdio!.transport
        : new StreamableHTTPClientTransport(new URL(server.url), {
            requestInit: { headers: server.headers },
            fetch: this.fetch,
          });
    const probe =
      server.transport === 'stdio' ? { timeoutMs: Math.min(this.connectTimeoutMs, STDIO_PROBE_TIMEOUT_MS) } : {};
    const client = new Client(
      { name: this.clientName, version: CLIENT_VERSION },
      { versionNegotiation: { mode: 'auto', probe } },
    );
    const prior = this.eras.prior(server.id, hash);
    const conn: Connection = {
      serverId: server.id,
      hash,
      client,
      transport,
      ready: Promise.resolve(),
      fromVerdict: prior !== undefined,
    };
    client.setNotificationHandler('notifications/tools/list_changed', async () => {
      conn.catalog = undefined;
      this.logger.info({ mcpServer: server.name }, 'MCP server tools changed');
    });
    client.onclose = () => {
      if (this.forget(conn)) this.logger.info({ mcpServer: server.name }, 'MCP server connection closed');
    };
    // Not every transport error is fatal (a late reply to a timed-out request, a stray stdout line);
    // fatal ones end in onclose or a failed send, and both drop the connection. Once we are closing it,
    // aborted requests and streams are expected.
    client.onerror = (err) => {
      if (!conn.closed) this.logger.warn({ mcpServer: server.name, err: err.message }, 'MCP transport error');
    };
    const prepared = stdio ? stdio.prepare() : Promise.resolve();
    // A stdio server's probe runs in a sibling process the SDK spawns from this transport's own parameters
    // (the same sandboxed launch: command, args, env, cwd), reaped before this one starts.
    conn.ready = prepared
      .then(() => client.connect(transport, { timeout: this.connectTimeoutMs, ...(prior ? { prior } : {}) }))
      .then(() => {
        if (!prior) this.eras.record(server.id, hash, client);
      })
      .catch(async (err: unknown) => {
        if (prior) this.eras.forget(server.id, hash);
        await this.retire(conn);
        throw new McpCallError({
          kind: 'connect',
          reachedServer: false,
          serverName: server.name,
          message: `could not connect to MCP server ${server.name}: ${failureMessage(err)}`,
          cause: err,
        });
      });
    conn.ready.catch(() => {}); // a connect nobody awaits (closed first) must not be an unhandled rejection
    return conn;
  }

  private forget(conn: Connection): boolean {
    if (this.connections.get(conn.serverId) !== conn) return false;
    this.connections.delete(conn.serverId);
    return true;
  }

  /** Drops the connection now and closes it; closeAll waits for every close still under way. */
  private retire(conn: Connection): Promise<void> {
    this.forget(conn);
    if (!conn.closed) {
      const closed = conn.transport
        .close()
        .catch((err: unknown) => this.logger.warn({ err }, 'closing MCP transport failed'));
      this.closing.add(closed);
      conn.closed = closed.finally(() => this.closing.delete(closed));
    }
    return conn.closed;
  }
}

function toDefinition(tool: Tool): ToolDefinition {
  return {
    name: tool.name,
    ...(tool.title === undefined ? {} : { title: tool.title }),
    ...(tool.description === undefined ? {} : { description: tool.description }),
    inputSchema: tool.inputSchema,
    ...(tool.outputSchema === undefined ? {} : { outputSchema: tool.outputSchema }),
    ...(tool.annotations === undefined ? {} : { annotations: tool.annotations }),
  };
}

/** A digest of the config that does not depend on key order. */
function configHash(server: McpServerConfig): string {
  const canonical = (value: unknown): unknown =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(
          Object.entries(value)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([k, v]) => [k, canonical(v)]),
        )
      : value;
  return createHash('sha256')
    .update(JSON.stringify(canonical(server)))
    .digest('hex');
}

/** Waits for `promise`, or rejects with the signal's reason when the caller gives up first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
