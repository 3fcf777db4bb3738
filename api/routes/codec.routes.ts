import { ValueError, type Payload } from '@temporalio/common';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { EncryptionCodec } from '../../core/crypto/payload-codec.js';
import { badRequest, unauthorized } from '../../core/errors.js';
import type { IdentityService } from '../../core/identity/identity.service.js';
import { principalOf, requireAuth, requireRole } from '../middleware/auth.js';
import { parseBody } from '../middleware/validate.js';

// Temporal's remote codec protocol: {"payloads":[{"metadata":{"k":"<base64>"},"data":"<base64>"}]}.
const Base64 = z
  .string()
  .max(16 * 1024 * 1024)
  .regex(/^[A-Za-z0-9+/=_-]*$/, 'base64');
const PayloadsSchema = z.object({
  payloads: z
    .array(z.object({ metadata: z.record(z.string(), Base64).optional(), data: Base64.optional() }))
    .max(10_000),
});
type JsonPayload = z.infer<typeof PayloadsSchema>['payloads'][number];

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

/** The cookie a browser (the Temporal UI, with "include cross-origin credentials") sends instead of a header. */
export const CODEC_COOKIE = 'collexa_codec_key';

export interface CodecRouteDeps {
  codec: EncryptionCodec;
  identity: IdentityService;
  /** Browser origins (the Temporal UI) allowed to call the codec with CORS. */
  allowedOrigins: string[];
  /** Org whose keys may decode every org's payloads (OPERATOR_ORG_ID). */
  operatorOrgId?: string;
}

const cookieKey = (req: Request) => /(?:^|;\s*)collexa_codec_key=([^;\s]+)/.exec(req.header('cookie') ?? '')?.[1];

/**
 * /codec/encode and /codec/decode: the remote codec the Temporal UI and CLI use. Always a key (Bearer, or
 * the cookie /codec/login sets); encode binds payloads to the key's org; decode opens only the key's org's
 * payloads (an operator org key: every org's) and hands the others back still encrypted.
 */
export function codecRoutes(deps: CodecRouteDeps): Router {
  const router = Router();
  const auth = requireAuth(deps.identity);
  const roles = requireRole('admin', 'developer', 'approver');

  const cors = (req: Request, res: Response, next: NextFunction) => {
    const origin = req.header('origin');
    if (origin && deps.allowedOrigins.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Headers', 'content-type, authorization, x-namespace');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    }
    if (req.method === 'OPTIONS') return void res.status(204).end();
    next();
  };
  // The browser's cookie stands in for the header; an Origin header alone never lets anyone in.
  const authenticate = async (req: Request, res: Response, next: NextFunction) => {
    const key = cookieKey(req);
    if (!req.header('authorization') && key) req.headers.authorization = `Bearer ${decodeURIComponent(key)}`;
    await auth(req, res, () => roles(req, res, next));
  };

  router.options('/codec/encode', cors);
  router.post('/codec/encode', cors, authenticate, async (req, res) => {
    const { payloads } = parseBody(req, PayloadsSchema);
    const out = await deps.codec.encodeForOrg(payloads.map(fromJson), principalOf(req).orgId);
    res.json({ payloads: out.map(toJson) });
  });
  router.options('/codec/decode', cors);
  router.post('/codec/decode', cors, authenticate, async (req, res) => {
    const { payloads } = parseBody(req, PayloadsSchema);
    const { orgId } = principalOf(req);
    const operator = deps.operatorOrgId !== undefined && orgId === deps.operatorOrgId;
    let out: Payload[];
    try {
      out = await deps.codec.decodeIf(payloads.map(fromJson), (org) => operator || org === orgId);
    } catch (err) {
      // Altered, truncated or under an unknown key: the caller sent something this codec never wrote.
      if (err instanceof ValueError) throw badRequest('undecodable_payload', err.message);
      throw err;
    }
    res.json({ payloads: out.map(toJson) });
  });

  // For a browser: paste a key once; the UI then sends it as a cookie (same site: localhost's ports).
  router.get('/codec/login', (_req, res) => {
    res
      .type('html')
      .send(
        '<!doctype html><title>Collexa codec</title><form method="post"><p>API key for the Temporal UI\'s codec (admin, developer or approver):</p>' +
          '<input name="key" type="password" size="60" autofocus> <button>Use it</button></form>' +
          '<p>Then, in the Temporal UI\'s codec settings, turn on "Include cross-origin credentials".</p>',
      );
  });
  router.post(
    '/codec/login',
    express.urlencoded({ extended: false, limit: '2kb', inflate: false }),
    async (req, res) => {
      const key = typeof req.body?.key === 'string' ? req.body.key.trim() : '';
      const result = key ? await deps.identity.authenticate(key) : undefined;
      if (!result?.ok) throw unauthorized('That API key is not valid', { reason: result ? result.reason : 'missing' });
      res.cookie(CODEC_COOKIE, key, { httpOnly: true, sameSite: 'lax', path: '/codec', maxAge: 12 * 3600 * 1000 });
      res
        .type('html')
        .send(
          `<!doctype html><p>The codec now decodes for ${result.principal.userName} (${result.principal.role}) in this browser for 12 hours.</p>`,
        );
    },
  );
  return router;
}
