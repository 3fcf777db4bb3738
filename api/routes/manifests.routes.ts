import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { AppError } from '../../core/errors.js';
import type { ManifestService } from '../../core/manifests/manifest.service.js';
import type { SigningKeys } from '../../core/manifests/signing-keys.js';
import { actorOf, principalOf, requireRole } from '../middleware/auth.js';
import { parseBody, parseParam } from '../middleware/validate.js';
import { keyView, manifestView, verificationView } from '../views/manifest.view.js';

export const IssueManifestSchema = z.strictObject({
  /** Seconds until the manifest expires (`exp`); unset: it does not expire. */
  expiresIn: z
    .number()
    .int()
    .min(1)
    .max(10 * 365 * 24 * 3600)
    .optional(),
});
export type IssueManifest = z.infer<typeof IssueManifestSchema>;
export const VerifyManifestSchema = z.strictObject({
  token: z
    .string()
    .min(1)
    .max(256 * 1024),
});
export type VerifyManifest = z.infer<typeof VerifyManifestSchema>;

/**
 * Signed capability manifests (/v1/agents/:agentId/manifests, /v1/manifests), the platform's signing keys
 * (/v1/signing-keys) and their public half for any verifier (GET /.well-known/jwks.json, no auth).
 */
export function manifestRoutes(deps: {
  manifests: ManifestService;
  keys: SigningKeys;
  operatorOrgId?: string;
}): Router {
  const router = Router();
  const { manifests, keys } = deps;

  router.get('/.well-known/jwks.json', async (_req, res) => {
    res.set('Cache-Control', 'public, max-age=60').json(await keys.jwks());
  });

  router.post('/v1/agents/:agentId/manifests', requireRole('admin'), async (req, res) => {
    const agentId = parseParam(req, 'agentId', z.uuid(), 'agent');
    const body = parseBody(req, IssueManifestSchema);
    const m = await manifests.issue(actorOf(req), agentId, body.expiresIn ? { expiresInSeconds: body.expiresIn } : {});
    res.status(201).json(manifestView(m));
  });

  router.get('/v1/agents/:agentId/manifests', async (req, res) => {
    const agentId = parseParam(req, 'agentId', z.uuid(), 'agent');
    res.json({ data: (await manifests.list(principalOf(req).orgId, agentId)).map(manifestView) });
  });

  router.post('/v1/manifests/verify', async (req, res) => {
    const body = parseBody(req, VerifyManifestSchema);
    res.json(verificationView(await manifests.verify(principalOf(req).orgId, body.token)));
  });

  router.get('/v1/manifests/:id', async (req, res) => {
    const id = parseParam(req, 'id', z.uuid(), 'manifest');
    res.json(manifestView(await manifests.get(principalOf(req).orgId, id)));
  });

  router.post('/v1/manifests/:id/revoke', requireRole('admin'), async (req, res) => {
    const id = parseParam(req, 'id', z.uuid(), 'manifest');
    res.json(manifestView(await manifests.revoke(actorOf(req), id)));
  });

  // Platform-wide keys: every org's manifests are signed with the active one.
  router.get('/v1/signing-keys', requireRole('admin'), async (_req, res) => {
    res.json({ data: (await keys.list()).map(keyView) });
  });

  // Rotating or retiring changes every org's manifests: only admins of the operator org may.
  const operatorOnly = (req: Request, _res: Response, next: NextFunction) => {
    if (!deps.operatorOrgId || principalOf(req).orgId !== deps.operatorOrgId) {
      throw new AppError(
        'operator_only',
        403,
        'Signing keys are platform-wide: only admins of the operator organization (OPERATOR_ORG_ID) may rotate or retire them',
      );
    }
    next();
  };

  router.post('/v1/signing-keys/rotate', requireRole('admin'), operatorOnly, async (req, res) => {
    res.status(201).json(keyView(await keys.rotate(actorOf(req))));
  });

  router.post('/v1/signing-keys/:kid/retire', requireRole('admin'), operatorOnly, async (req, res) => {
    const kid = parseParam(req, 'kid', z.string().regex(/^[A-Za-z0-9_-]{1,128}$/), 'signing key');
    res.json(keyView(await keys.retire(actorOf(req), kid)));
  });

  return router;
}
