import { describe, expect, it, vi } from 'vitest';
import { errorHandler } from '../../api/middleware/errors.js';
import { AppError } from '../../core/errors.js';

function fakeRes() {
  const res = {
    statusCode: 0,
    body: undefined as unknown,
    headersSent: false,
    status(code: number) {
      res.statusCode = code;
      return res;
    },
    json(b: unknown) {
      res.body = b;
      return res;
    },
  };
  return res;
}

describe('errorHandler', () => {
  it('turns an unknown error into a 500 envelope with the request id and no internals', () => {
    const res = fakeRes();
    const log = { error: vi.fn() };
    errorHandler(new Error('secret stack detail'), { id: 'req-1', log } as never, res as never, () => undefined);
    expect(res.statusCode).toBe(500);
    expect(res.body).toEqual({
      error: { code: 'internal', message: 'Internal server error', details: { requestId: 'req-1' } },
    });
    expect(JSON.stringify(res.body)).not.toContain('secret');
    expect(log.error).toHaveBeenCalledOnce();
  });

  it('writes an AppError with its own status, code and details', () => {
    const res = fakeRes();
    errorHandler(
      new AppError('conflict', 409, 'taken', { id: 'x' }),
      { id: 'r', log: {} } as never,
      res as never,
      () => undefined,
    );
    expect(res.statusCode).toBe(409);
    expect(res.body).toEqual({ error: { code: 'conflict', message: 'taken', details: { id: 'x' } } });
  });
});
