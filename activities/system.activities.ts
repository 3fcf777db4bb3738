import { AuditRepository } from '../core/db/audit.repository.js';
import type { ActivityDeps } from './index.js';

/** Activities that exercise the platform itself (used by pingWorkflow). */
export function createSystemActivities(deps: ActivityDeps) {
  const audit = new AuditRepository(deps.db);
  return {
    async recordPing(input: { orgId: string; message: string; workflowId: string }): Promise<string> {
      const row = await audit.record({
        org_id: input.orgId,
        actor: 'system',
        action: 'system.ping',
        subject_type: 'workflow',
        subject_id: input.workflowId,
        data: { message: input.message },
      });
      return String(row.id);
    },
  };
}
