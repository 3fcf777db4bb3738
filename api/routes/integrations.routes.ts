import { Router } from 'express';
import { z } from 'zod';
import { integrationSpec, integrationSpecs } from '../../core/integrations/catalog.js';
import { notFound } from '../../core/errors.js';
import { parseParam } from '../middleware/validate.js';
import { integrationView } from '../views/integration.view.js';

const Name = z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, 'an integration name');

/** /v1/integrations: the integrations Collexa ships, what each needs and offers (any member of an org may read). */
export function integrationRoutes(): Router {
  const router = Router();

  router.get('/v1/integrations', (_req, res) => {
    res.json({ data: integrationSpecs().map(integrationView) });
  });

  router.get('/v1/integrations/:name', (req, res) => {
    const name = parseParam(req, 'name', Name, 'integration');
    const spec = integrationSpec(name);
    if (!spec) throw notFound('integration', name);
    res.json(integrationView(spec));
  });

  return router;
}
