import type { AuditEventRow } from '../../core/db/rows.js';
import { iso } from './iso.js';

/** One audit event. */
export function auditView(e: AuditEventRow) {
  return {
    id: String(e.id),
    actor: e.actor,
    action: e.action,
    subjectType: e.subject_type,
    subjectId: e.subject_id,
    invocationId: e.invocation_id,
    requestId: e.request_id,
    data: e.data,
    at: iso(e.created_at),
  };
}
