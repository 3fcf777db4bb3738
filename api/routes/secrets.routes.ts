import { Router } from 'express';
import { z } from 'zod';
import type { SecretService } from '../../core/secrets/secret.service.js';
import { SECRET_NAME } from '../../core/secrets/vault.js';
import { actorOf, principalOf, requireRole } from '../middleware/auth.js';
import { parseBody, parseParam } from '../middleware/validate.js';
import { secretView } from '../views/secret.view.js';

export const SecretName = z
  .string()
  .regex(SECRET_NAME, 'letters, digits, _ . and -, at most 128, starting with a letter or digit');
const SecretValue = z.string().min(1).max(65_536);
export const CreateSecretSchema = z.strictObject({ name: SecretName, value: SecretValue });
export type CreateSecret = z.infer<typeof CreateSecretSchema>;
export const RotateSecretSchema = z.strictObject({ value: SecretValue });
export type RotateSecret = z.infer<typeof RotateSecretSchema>;

/** /v1/secrets: the org's secrets, which MCP server env and headers reference as `secret:NAME`. */
export function secretRoutes(secrets: SecretService): Router {
  const router = Router();

  router.post('/v1/secrets', requireRole('admin'), async (req, res) => {
    const body = parseBody(req, CreateSecretSchema);
    res.status(201).json(secretView(await secrets.create(actorOf(req), body.name, body.value)));
  });

  router.get('/v1/secrets', requireRole('admin', 'developer'), async (req, res) => {
    res.json({ data: (await secrets.list(principalOf(req).orgId)).map(secretView) });
  });

  router.get('/v1/secrets/:name', requireRole('admin', 'developer'), async (req, res) => {
    const name = parseParam(req, 'name', SecretName, 'secret');
    res.json(secretView(await secrets.get(principalOf(req).orgId, name)));
  });

  router.post('/v1/secrets/:name/rotate', requireRole('admin'), async (req, res) => {
    const name = parseParam(req, 'name', SecretName, 'secret');
    const body = parseBody(req, RotateSecretSchema);
    res.json(secretView(await secrets.rotate(actorOf(req), name, body.value)));
  });

  router.delete('/v1/secrets/:name', requireRole('admin'), async (req, res) => {
    const name = parseParam(req, 'name', SecretName, 'secret');
    await secrets.delete(actorOf(req), name);
    res.status(204).end();
  });

  return router;
}
