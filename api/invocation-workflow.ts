import type { Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { StartInvocationWorkflow } from '../core/invocations/invocation.service.js';
import { INVOKE_CAPABILITY_WORKFLOW, type InvokeCapabilityWorkflow } from '../contracts/invocation.contract.js';
import { AgentIdKey, CapabilityKey, OrgIdKey, StatusKey } from '../contracts/search-attributes.js';

/** Starts invokeCapabilityWorkflow for a recorded invocation: the one place the API names that workflow. */
export function invocationWorkflowStarter(temporal: Client, taskQueue: string): StartInvocationWorkflow {
  return (row, approvalTimeoutMs) =>
    temporal.workflow.start<InvokeCapabilityWorkflow>(INVOKE_CAPABILITY_WORKFLOW, {
      taskQueue,
      workflowId: row.workflow_id,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      args: [{ invocationId: row.id, orgId: row.org_id, agentId: row.agent_id, capability: row.capability, requestedBy: row.requested_by, approvalTimeoutMs }],
      typedSearchAttributes: [
        { key: OrgIdKey, value: row.org_id },
        { key: AgentIdKey, value: row.agent_id },
        { key: CapabilityKey, value: row.capability },
        { key: StatusKey, value: 'running' },
      ],
    });
}
