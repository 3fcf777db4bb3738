import { proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from './activity-proxies.js';
import type { PingWorkflow } from '../contracts/ping.contract.js';
import { OrgIdKey, StatusKey } from '../contracts/search-attributes.js';

const { recordPing } = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 5 },
});

/** End-to-end probe of the stack: one activity writes an audit row in PostgreSQL and echoes the message. */
export const pingWorkflow: PingWorkflow = async (input) => {
  const { workflowId } = workflowInfo();
  upsertSearchAttributes([
    { key: OrgIdKey, value: input.orgId },
    { key: StatusKey, value: 'running' },
  ]);
  const auditEventId = await recordPing({ orgId: input.orgId, message: input.message, workflowId });
  upsertSearchAttributes([{ key: StatusKey, value: 'succeeded' }]);
  return { echo: input.message, auditEventId, workflowId };
};
