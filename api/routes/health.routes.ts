import { Router } from 'express';
import { AppError } from '../../core/errors.js';
import type { ReadinessCheck } from '../../core/health/readiness.js';

const CHECK_TIMEOUT_MS = 2500;

function withTimeout(check: ReadinessCheck): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([check(), timeout]).finally(() => clearTimeout(timer));
}

/** Liveness (/healthz: the process answers) and readiness (/readyz: every dependency answers). */
export function healthRoutes(checks: Record<string, ReadinessCheck>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const names = Object.keys(checks);
    const outcomes = await Promise.allSettled(names.map((name) => withTimeout(checks[name]!)));
    const results: Record<string, { status: 'ok' | 'down'; error?: string }> = {};
    names.forEach((name, i) => {
      const o = outcomes[i]!;
      results[name] =
        o.status === 'fulfilled'
          ? { status: 'ok' }
          : { status: 'down', error: String((o.reason as Error)?.message ?? o.reason) };
    });
    const failing = names.filter((n) => results[n]!.status !== 'ok');
    if (failing.length > 0) {
      throw new AppError('not_ready', 503, `Not ready: ${failing.join(', ')} unavailable`, {
        failing,
        checks: results,
      });
    }
    res.json({ status: 'ready', checks: results });
  });
  return router;
}
