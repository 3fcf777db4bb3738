/** Input and result of pingWorkflow, shared by clients and the workflow. */
export interface PingInput {
  orgId: string;
  message: string;
}

export interface PingResult {
  echo: string;
  auditEventId: string;
  workflowId: string;
}
