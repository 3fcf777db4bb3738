import type { Payload, PayloadCodec } from '@temporalio/common';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { IdentityService } from '../../core/identity/identity.service.js';
import { requireAuth, requireRole } from '../middleware/auth.js';
import { parseBody } from '../middleware/validate.js';

// Temporal's remote codec protocol: {"payloads":[{"metadata":{"k":"<base64>"},"data":"<base64>"}]}.
const Base64 = z.string().max(16 * 1024 * 1024).regex(/^[A-Za-z0-9+/=_-]*$/, 'base64');
const PayloadsSchema = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), Base64).optional(), data: Base64.optional() })).max(10_000),
});
type JsonPayload = z.infer<typeof PayloadsSchema>['payloads'][number];

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

export interface CodecRouteDeps {
  codec: PayloadCodec;
  identity: IdentityService;
  /** Browser origins (the Temporal UI) allowed to call the codec with CORS. */
  allowedOrigins: string[];
  /** Development only: the listed UI origins may decode without an API key (the dev UI sends none). */
  trustUiOrigins: boolean;
}

/** /codec/encode and /codec/decode: the remote codec the Temporal UI and CLI use to show decrypted payloads. */
export function codecRoutes(deps: CodecRouteDeps): Router {
  const router = Router();
  const auth = requireAuth(deps.identity);
  const operator = requireRole('admin', 'developer');

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
  const authenticate = async (req: Request, res: Response, next: NextFunction) => {
    const origin = req.header('origin');
    if (deps.trustUiOrigins && !req.header('authorization') && origin && deps.allowedOrigins.includes(origin)) return next();
    await auth(req, res, () => operator(req, res, next));
  };

  for (const op of ['encode', 'decode'] as const) {
    router.options(`/codec/${op}`, cors);
    router.post(`/codec/${op}`, cors, authenticate, async (req, res) => {
      const { payloads } = parseBody(req, PayloadsSchema);
      const out = await deps.codec[op](payloads.map(fromJson));
      res.json({ payloads: out.map(toJson) });
    });
  }
  return router;
}
