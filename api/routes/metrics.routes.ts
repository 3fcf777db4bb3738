import { Router, type Request } from 'express';
import { forbidden, unauthorized } from '../../core/errors.js';
import type { IdentityService } from '../../core/identity/identity.service.js';
import type { ApiMetrics } from '../../core/metrics/api-metrics.js';
import { bearerOf, isMetricsToken } from '../../core/metrics/metrics-token.js';

/**
 * GET /metrics in Prometheus' text format. It counts every org's work, so it is for the operator: a scraper
 * sends METRICS_TOKEN as its bearer, or an admin of the operator org (OPERATOR_ORG_ID) sends their API key.
 * Anyone else gets 401 or 403; with neither configured, nobody reads it.
 */
export function metricsRoutes(opts: {
  metrics: ApiMetrics;
  identity: IdentityService;
  token?: string;
  operatorOrgId?: string;
}): Router {
  const router = Router();
  const allowed = async (req: Request) => {
    const bearer = bearerOf(req.header('authorization'));
    if (!bearer)
      throw unauthorized('GET /metrics needs "Authorization: Bearer <METRICS_TOKEN or an operator admin key>"', {
        reason: 'missing',
      });
    if (isMetricsToken(bearer, opts.token)) return;
    const result = await opts.identity.authenticate(bearer);
    if (!result.ok)
      throw unauthorized('The bearer is neither METRICS_TOKEN nor a valid API key', { reason: result.reason });
    const { orgId, role } = result.principal;
    if (role !== 'admin' || !opts.operatorOrgId || orgId !== opts.operatorOrgId)
      throw forbidden(
        "GET /metrics counts every org's work: it needs METRICS_TOKEN or an admin key of the operator org",
        {
          reason: 'not_operator',
        },
      );
  };
  router.get('/metrics', async (req, res) => {
    await allowed(req);
    res.type(opts.metrics.contentType).send(await opts.metrics.text());
  });
  return router;
}
