import type { NextFunction, Request, Response } from 'express';
import { ProtocolErrorCode } from '@modelcontextprotocol/server';
import { InvalidInputError } from '../../core/errors.js';

/** The id of the JSON-RPC request in `body`, when it is one request with a usable id (a batch answers null). */
function requestId(body: unknown): string | number | null {
  const id = (body as { id?: unknown } | null | undefined)?.id;
  return !Array.isArray(body) && (typeof id === 'string' || typeof id === 'number') ? id : null;
}

/** A JSON-RPC error as the HTTP answer to a POST the endpoint cannot accept (Streamable HTTP: 4xx, JSON-RPC body). */
export function sendJsonRpcError(res: Response, status: number, body: unknown, code: number, message: string) {
  res.status(status).json({ jsonrpc: '2.0', id: requestId(body), error: { code, message } });
}

/**
 * On /mcp and /mcp/:agentId, input the API refuses answers in JSON-RPC, as MCP clients read it:
 * -32602 (invalid params) with the short reason for unclean or ill-formed input, -32700 for a body that
 * is not JSON. Everything else (auth, origin, unknown errors) goes on to the one error handler.
 */
export function mcpInputErrors(err: unknown, req: Request, res: Response, next: NextFunction) {
  if (res.headersSent) return next(err);
  if (err instanceof InvalidInputError)
    return sendJsonRpcError(res, 400, req.body, ProtocolErrorCode.InvalidParams, err.message);
  if ((err as { type?: string } | null)?.type === 'entity.parse.failed')
    return sendJsonRpcError(res, 400, undefined, ProtocolErrorCode.ParseError, 'Parse error: the body is not JSON');
  next(err);
}
