import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../../core/errors.js';

/** Writes the one error envelope every failure uses. */
export function sendError(
  res: Response,
  status: number,
  code: string,
  message: string,
  details: Record<string, unknown> = {},
) {
  res.status(status).json({ error: { code, message, details } });
}

/** Any request no route claimed. */
export function notFoundHandler(req: Request, res: Response) {
  sendError(res, 404, 'not_found', `No route for ${req.method} ${req.path}`, { method: req.method, path: req.path });
}

// body-parser marks its errors with a `type`; map the ones a client can cause to 4xx.
const BODY_ERRORS: Record<string, [number, string, string]> = {
  'entity.parse.failed': [400, 'invalid_json', 'The request body is not valid JSON'],
  'entity.too.large': [413, 'payload_too_large', 'The request body is larger than the limit'],
  'encoding.unsupported': [415, 'unsupported_encoding', 'The request body encoding is not supported'],
  'charset.unsupported': [415, 'unsupported_charset', 'The request body charset is not supported'],
  'request.aborted': [400, 'request_aborted', 'The request was aborted'],
};

/** The error middleware: AppError → its status; body errors → 4xx; anything else → a logged 500 without internals. */
export function errorHandler(err: unknown, req: Request, res: Response, _next: NextFunction) {
  if (res.headersSent) return;
  if (err instanceof AppError) {
    for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
    return sendError(res, err.httpStatus, err.code, err.message, err.details);
  }
  const type = (err as { type?: string } | null)?.type;
  const known = type ? BODY_ERRORS[type] : undefined;
  if (known) {
    const [status, code, message] = known;
    const limit = (err as { limit?: number }).limit;
    return sendError(res, status, code, message, limit ? { limitBytes: limit } : {});
  }
  req.log.error({ err }, 'unhandled error');
  sendError(res, 500, 'internal', 'Internal server error', { requestId: req.id });
}
