import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../../core/errors.js';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Cross-site and DNS-rebinding protection for /mcp: a request that carries an Origin (a browser's) must
 * come from an allowed one. Beyond the allow-list only a page of this very server on a loopback name
 * passes: "same host" on any other name proves nothing under DNS rebinding, where the attacker's page
 * and the Host header share the attacker's name.
 */
export function originCheck(allowedOrigins: readonly string[]) {
  const allowed = new Set(allowedOrigins);
  return (req: Request, _res: Response, next: NextFunction) => {
    const origin = req.header('origin');
    if (origin === undefined || allowed.has(origin) || sameLoopbackOrigin(origin, req.header('host'))) return next();
    throw new AppError(
      'origin_not_allowed',
      403,
      `Origin ${origin} may not call this MCP endpoint (MCP_ALLOWED_ORIGINS)`,
      { origin },
    );
  };
}

function sameLoopbackOrigin(origin: string, host: string | undefined): boolean {
  if (!host || !URL.canParse(origin)) return false;
  const url = new URL(origin);
  return url.host === host && LOOPBACK.has(url.hostname);
}
