import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { errorHandler } from '../../api/middleware/errors.js';
import { requestContext } from '../../api/middleware/request-context.js';
import { AppError } from '../../core/errors.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A real Express app whose one route throws `err`, behind the real request context and error handler. */
async function throwing(err: Error) {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const app = express().use(requestContext(logger));
  app.get('/boom', () => {
    throw err;
  });
  app.use(errorHandler);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  closers.push(() => new Promise((r) => server.close(() => r())));
  const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/boom`, {
    headers: { 'x-request-id': 'req-1' },
  });
  return { status: res.status, body: (await res.json()) as unknown, lines };
}

describe('errorHandler', () => {
  it('turns an unknown error into a 500 envelope with the request id and no internals', async () => {
    const { status, body, lines } = await throwing(new Error('secret stack detail'));
    expect(status).toBe(500);
    expect(body).toEqual({
      error: { code: 'internal', message: 'Internal server error', details: { requestId: 'req-1' } },
    });
    expect(JSON.stringify(body)).not.toContain('secret');
    // The cause is logged (with the request id) for operators, never answered.
    expect(lines.some((l) => l.requestId === 'req-1' && JSON.stringify(l).includes('secret stack detail'))).toBe(true);
  });

  it('writes an AppError with its own status, code and details', async () => {
    const { status, body } = await throwing(new AppError('conflict', 409, 'taken', { id: 'x' }));
    expect(status).toBe(409);
    expect(body).toEqual({ error: { code: 'conflict', message: 'taken', details: { id: 'x' } } });
  });
});
