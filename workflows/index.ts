// The workflow bundle's entry: every workflow the worker runs is exported here.
export { approvalWorkflow } from './approval.workflow.js';
export { billingSyncWorkflow } from './billing-sync.workflow.js';
export { invokeCapabilityWorkflow } from './invoke-capability.workflow.js';
export { mcpServerWorkflow } from './mcp-server.workflow.js';
export { pingWorkflow } from './ping.workflow.js';
export { pipelineWorkflow } from './pipeline.workflow.js';
export { sandboxWorkflow } from './sandbox.workflow.js';
export { usageReportWorkflow } from './usage-report.workflow.js';
