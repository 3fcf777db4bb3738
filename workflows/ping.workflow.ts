import { proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import type { PingInput, PingResult } from './ping.messages.js';
import { OrgIdKey, StatusKey } from './search-attributes.js';

const { recordPing } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 5 },
});

/** End-to-end probe of the stack: one activity writes an audit row in PostgreSQL and echoes the message. */
export async function pingWorkflow(input: PingInput): Promise<PingResult> {
  const { workflowId } = workflowInfo();
  upsertSearchAttributes({ [OrgIdKey.name]: [input.orgId], [StatusKey.name]: ['running'] });
  const auditEventId = await recordPing({ orgId: input.orgId, message: input.message, workflowId });
  upsertSearchAttributes({ [StatusKey.name]: ['succeeded'] });
  return { echo: input.message, auditEventId, workflowId };
}
