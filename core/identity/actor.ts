import type { NewAuditEvent } from '../db/audit.repository.js';
import type { Role } from './roles.js';

/** Who changes something through the API: their org, user and role, and the request (for the audit event). */
export interface Actor {
  orgId: string;
  userId: string;
  role: Role;
  requestId?: string;
}

/** The audit event of `actor` doing `action` to a subject, in the actor's org and request. */
export function auditEvent(
  actor: Actor,
  action: string,
  subjectType: string,
  subjectId: string,
  data?: Record<string, unknown>,
): NewAuditEvent {
  return {
    org_id: actor.orgId,
    actor: `user:${actor.userId}`,
    action,
    subject_type: subjectType,
    subject_id: subjectId,
    request_id: actor.requestId ?? null,
    ...(data ? { data } : {}),
  };
}
