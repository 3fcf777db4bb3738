import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../../core/log.js';

const INBOUND_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Gives every request an id (a sane inbound X-Request-Id is kept), a child logger, and one access-log line. */
export function requestContext(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const inbound = req.header('x-request-id');
    const id = inbound && INBOUND_ID.test(inbound) ? inbound : randomUUID();
    req.id = id;
    req.log = logger.child({ requestId: id });
    res.setHeader('X-Request-Id', id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
      req.log[level](
        {
          method: req.method,
          path: req.path,
          status: res.statusCode,
          ms: Math.round(ms * 10) / 10,
          orgId: req.principal?.orgId,
        },
        'request',
      );
    });
    next();
  };
}
