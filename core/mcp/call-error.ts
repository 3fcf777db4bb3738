import {
  ProtocolError,
  ProtocolErrorCode,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
  UnauthorizedError,
  type CallToolResult,
} from '@modelcontextprotocol/client';

/**
 * Why a call to an MCP server failed. With `reachedServer` this is what the activity uses to decide
 * whether a retry is safe: `connect` never reached the server; `timeout` and `disconnected` may have
 * run the tool; `invalid_params` and `protocol` will fail the same way again.
 */
export type McpFailureKind = 'connect' | 'timeout' | 'disconnected' | 'invalid_params' | 'protocol' | 'tool_error';

/** A failed MCP request, classified for retry decisions; `code`/`data` are the JSON-RPC error's, if any. */
export class McpCallError extends Error {
  readonly kind: McpFailureKind;
  readonly reachedServer: boolean;
  readonly serverName: string;
  readonly code?: number;
  readonly data?: unknown;

  constructor(opts: {
    kind: McpFailureKind;
    reachedServer: boolean;
    serverName: string;
    message: string;
    code?: number;
    data?: unknown;
    cause?: unknown;
  }) {
    super(opts.message, { cause: opts.cause });
    this.name = 'McpCallError';
    this.kind = opts.kind;
    this.reachedServer = opts.reachedServer;
    this.serverName = opts.serverName;
    if (opts.code !== undefined) this.code = opts.code;
    if (opts.data !== undefined) this.data = opts.data;
  }
}

// Socket-level codes that mean no byte of the request reached the server.
const NOT_CONNECTED_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

// What the SDK refuses to send at all.
const LOCAL_REFUSALS = new Set<SdkErrorCode>([
  SdkErrorCode.MethodNotSupportedByProtocolVersion,
  SdkErrorCode.CapabilityNotSupported,
]);

/** Turns whatever a request to `serverName` threw into an McpCallError. */
export function classifyFailure(err: unknown, serverName: string): McpCallError {
  if (err instanceof McpCallError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const make = (kind: McpFailureKind, reachedServer: boolean, extra: { code?: number; data?: unknown } = {}) =>
    new McpCallError({
      kind,
      reachedServer,
      serverName,
      message: `MCP server ${serverName}: ${message}`,
      cause: err,
      ...extra,
    });

  // The SDK's local failures: it gave up waiting or the connection went (after the request was sent), there
  // was no connection, the era has no such method (nothing sent), or the answer was not a valid result.
  if (err instanceof SdkError && !(err instanceof SdkHttpError)) {
    if (err.code === SdkErrorCode.RequestTimeout) return make('timeout', true);
    if (err.code === SdkErrorCode.ConnectionClosed) return make('disconnected', true);
    if (err.code === SdkErrorCode.NotConnected) return make('connect', false);
    return make('protocol', !LOCAL_REFUSALS.has(err.code));
  }
  // The server's JSON-RPC error (in a 200 answer, or a 2026-07-28 one in a 400).
  if (err instanceof ProtocolError) {
    const extra = { code: err.code, data: err.data };
    return err.code === ProtocolErrorCode.InvalidParams
      ? make('invalid_params', true, extra)
      : make('protocol', true, extra);
  }
  // A stateful server that lost our session (restart) answers 404 without running anything.
  if (err instanceof SdkHttpError)
    return err.status === 404 ? make('connect', false) : make('protocol', true, { data: { httpStatus: err.status } });
  if (err instanceof UnauthorizedError) return make('protocol', true, { data: { httpStatus: 401 } });
  // The SDK's own "no transport" (a stdio child that has already gone) and refused sockets.
  if (message === 'Not connected' || errorCodes(err).some((c) => NOT_CONNECTED_CODES.has(c)))
    return make('connect', false);
  // fetch failures mid-request (reset, "other side closed", "terminated"): the request may have run.
  if (err instanceof TypeError && message === 'fetch failed') return make('disconnected', true);
  if (errorCodes(err).length > 0 || message === 'terminated') return make('disconnected', true);
  return make('protocol', true);
}

/**
 * An error's message; for an HTTP failure the SDK describes in its own words (a failed probe), with the
 * answer it got, which the pool's guarded fetch cuts to `HTTP <status> from <host>`.
 */
export function failureMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const text = err instanceof SdkHttpError ? err.data.text : undefined;
  return typeof text === 'string' && text !== '' && !message.includes(text) ? `${message} (${text})` : message;
}

/** The `code`s along an error's cause chain, including each member of an AggregateError (happy eyeballs). */
function errorCodes(err: unknown, depth = 0): string[] {
  if (!(err instanceof Error) || depth > 5) return [];
  const code: unknown = (err as Error & { code?: unknown }).code;
  const own = typeof code === 'string' ? [code] : [];
  const members = err instanceof AggregateError ? err.errors.flatMap((e) => errorCodes(e, depth + 1)) : [];
  return [...own, ...members, ...errorCodes(err.cause, depth + 1)];
}

/*
 * The TypeScript SDK's McpServer does not send JSON-RPC errors for arguments that fail a tool's input
 * schema: it catches the error it raises and returns it as `isError: true`, with the text "MCP error -32602:
 * Input validation error: …" (SDK 1.x, which does the same for an unknown or disabled tool) or, from SDK 2.x
 * (which answers an unknown tool with the JSON-RPC error), without the "MCP error -32602: " prefix. Those
 * checks run before the handler, so the tool did not run: it is a rejected request, not a tool failure. We
 * match only those pre-handler messages; "Output validation error" also carries -32602 but comes after the
 * tool ran, so it stays an ordinary isError result for the caller to judge.
 */
const PRE_HANDLER_REJECTION =
  /^(?:MCP error -32602: Tool (\S+) (?:not found|disabled)|(?:MCP error -32602: )?(?:Input validation error: )?Invalid arguments for tool (\S+):)/;

/** The invalid-params rejection hidden in an isError result from an SDK-built server, if it is one. */
export function rejectionInResult(
  result: CallToolResult,
  toolName: string,
  serverName: string,
): McpCallError | undefined {
  if (result.isError !== true || result.content.length !== 1) return undefined;
  const [only] = result.content;
  if (only?.type !== 'text') return undefined;
  const match = PRE_HANDLER_REJECTION.exec(only.text);
  const named = match?.[1] ?? match?.[2];
  if (!match || named !== toolName) return undefined;
  return new McpCallError({
    kind: 'invalid_params',
    reachedServer: true,
    serverName,
    code: ProtocolErrorCode.InvalidParams,
    message: `MCP server ${serverName}: ${only.text.replace(/^MCP error -32602: /, '')}`,
  });
}
