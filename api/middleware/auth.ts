import type { NextFunction, Request, Response } from 'express';
import { forbidden, unauthorized } from '../../core/errors.js';
import type { Actor } from '../../core/identity/actor.js';
import type { IdentityService, Principal } from '../../core/identity/identity.service.js';
import type { Role } from '../../core/identity/roles.js';
import { withOrg } from '../../core/temporal/payload-org.js';

const REASONS = {
  malformed: 'The API key is malformed',
  unknown: 'The API key is not recognised',
  revoked: 'The API key has been revoked',
} as const;

/**
 * Bearer API-key auth: sets req.principal (scoped to the key's org) or answers 401. The rest of the request
 * runs with the key's org as the org of every Temporal payload it writes (core/temporal/payload-org.ts).
 */
export function requireAuth(identity: IdentityService) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    // Authenticated already on this request (a route that checks before parsing a large body).
    if (req.principal) return withOrg(req.principal.orgId, next);
    const header = req.header('authorization');
    if (!header)
      throw unauthorized('Missing Authorization header; send "Authorization: Bearer <api key>"', { reason: 'missing' });
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthorized('Authorization header must be "Bearer <api key>"', { reason: 'malformed' });
    const result = await identity.authenticate(match[1]!);
    if (!result.ok) throw unauthorized(REASONS[result.reason], { reason: result.reason });
    req.principal = result.principal;
    withOrg(result.principal.orgId, next);
  };
}

/** 403 unless the caller holds one of `roles`. */
export function requireRole(...roles: Role[]) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const role = principalOf(req).role;
    if (!roles.includes(role))
      throw forbidden(`This action needs the role ${roles.join(' or ')}; the key has ${role}`, {
        required: roles,
        role,
      });
    next();
  };
}

export function principalOf(req: Request): Principal {
  if (!req.principal) throw unauthorized('Not authenticated');
  return req.principal;
}

/** The caller as a core service records them: the principal and this request's id. */
export function actorOf(req: Request): Actor {
  return { ...principalOf(req), requestId: req.id };
}
