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

/** End-to-end probe of the stack: one activity writes an audit row in PostgreSQL and echoes the message. */
export type PingWorkflow = (input: PingInput) => Promise<PingResult>;
export const PING_WORKFLOW = 'pingWorkflow';
