import type { ApprovalStatus } from '../../contracts/approval.contract.js';
import type { InvocationProgress, InvocationStatus } from '../../contracts/invocation.contract.js';
import type { McpServerStatus } from '../../contracts/mcp-server.contract.js';
import type { PipelineError, PipelineStage, PipelineStatus, StageStatus } from '../../contracts/pipeline.contract.js';
import type { SandboxMode, SandboxStatus } from '../../contracts/sandbox.contract.js';
import type { Role } from '../identity/roles.js';
import type { Severity } from '../severity.js';

/** Row types of the identity and audit tables, as knex returns them. */
export interface OrganizationRow {
  id: string;
  name: string;
  settings: Record<string, unknown>;
  created_at: Date;
}

export interface UserRow {
  id: string;
  org_id: string;
  name: string;
  role: Role;
  created_at: Date;
}

export interface ApiKeyRow {
  id: string;
  org_id: string;
  user_id: string;
  name: string;
  key_prefix: string;
  key_hash: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface AuditEventRow {
  id: string;
  org_id: string;
  actor: string;
  action: string;
  subject_type: string | null;
  subject_id: string | null;
  invocation_id: string | null;
  request_id: string | null;
  data: Record<string, unknown>;
  created_at: Date;
}

export interface McpServerRow {
  id: string;
  org_id: string;
  name: string;
  transport: 'stdio' | 'http';
  command: string | null;
  args: string[];
  env: Record<string, string>;
  url: string | null;
  headers: Record<string, string>;
  created_at: Date;
  status: McpServerStatus;
  status_reason: string | null;
  last_check_at: Date | null;
  tools_count: number;
  catalog_hash: string | null;
  security_level: Severity;
  limits: McpServerLimits;
  network: boolean;
  template: string | null;
  workflow_id: string | null;
  /** Workspace paths a stdio server's sandbox mounts besides its own dir. */
  sandbox: {
    writablePaths: string[];
    readablePaths: string[];
    files?: Array<{ url: string; path: string }>;
    /** A sandbox's own server: the sandbox's address on 127.0.0.1, which its egress proxy lets it reach. */
    egressAllow?: string[];
    /** Collexa's own code under core/ it runs (an integration's server), bound read-only; set by templates only. */
    shippedFiles?: string[];
  };
  /** Set on the MCP server a sandbox made for itself (hidden from the org's server list). */
  sandbox_id: string | null;
  /** The sandbox target this server fronts (an openapi template given `config.target`), if any. */
  sandbox_target: string | null;
}

/** Per-server execution limits; an unset key takes the security level's default. */
export interface McpServerLimits {
  timeoutMs?: number;
  maxConcurrency?: number;
  ratePerSecond?: number;
  orgRatePerSecond?: number;
  breakerThreshold?: number;
  breakerCooldownMs?: number;
  maxResultBytes?: number;
  /** Sandbox rlimits of a stdio server process (see core/mcp/sandbox.ts ProcessLimits). */
  memoryMb?: number;
  cpuSeconds?: number;
  maxProcesses?: number;
  maxOpenFiles?: number;
}

export interface McpServerStatusEventRow {
  id: string;
  server_id: string;
  org_id: string;
  status: McpServerStatus;
  reason: string | null;
  at: Date;
}

export interface McpToolRow {
  server_id: string;
  org_id: string;
  name: string;
  definition: Record<string, unknown>;
  definition_hash: string;
  category: string | null;
  tags: string[];
  inferred_category: string;
  inferred_tags: string[];
  search_text: string;
  updated_at: Date;
}

export interface AgentRow {
  id: string;
  org_id: string;
  name: string;
  description: string;
  created_at: Date;
  updated_at: Date;
}

export interface CapabilityRow {
  id: string;
  agent_id: string;
  org_id: string;
  name: string;
  server_id: string;
  tool: string;
  description: string | null;
  risk: Severity;
  tool_definition: Record<string, unknown>;
  /** toolDefinitionHash of tool_definition: calls are blocked when the server serves another one. */
  pinned_hash: string;
  pinned_at: Date;
}

export interface InvocationRow {
  id: string;
  org_id: string;
  agent_id: string;
  capability: string;
  requested_by: string;
  input: Record<string, unknown>;
  idempotency_key: string | null;
  request_hash: string;
  workflow_id: string;
  status: InvocationStatus;
  decision: Record<string, unknown> | null;
  approval_id: string | null;
  result: Record<string, unknown> | null;
  error: Record<string, unknown> | null;
  created_at: Date;
  updated_at: Date;
  decided_at: Date | null;
  tool_started_at: Date | null;
  /** Set as the tool call's request is sent, cleared when an attempt's outcome shows it did not run; set at a new
   * attempt: the one before may have run the tool (its worker was lost). */
  tool_dispatched_at: Date | null;
  completed_at: Date | null;
  /** The API took this call's rate tokens; its first call attempt claims them (core/limits/execution-limits.ts). */
  rate_admitted: boolean;
  /** The user who asked to cancel it (the end's audit names them); null unless a cancel was requested. */
  cancel_requested_by: string | null;
  /** The sandbox its capability was routed to, or null: the real server. */
  sandbox_id: string | null;
  /** The latest progress its tool reported while it ran (core/invocations/progress-recorder.ts); null if none. */
  progress: InvocationProgress | null;
  /** The pipeline whose step made it, or null. */
  pipeline_id: string | null;
}

export interface ApprovalRow {
  id: string;
  org_id: string;
  subject_type: string;
  subject_id: string;
  invocation_id: string | null;
  requested_by: string;
  approver_roles: string[];
  context: Record<string, unknown>;
  status: ApprovalStatus;
  decided_by: string | null;
  comment: string | null;
  workflow_id: string;
  expires_at: Date;
  decided_at: Date | null;
  created_at: Date;
}

export interface SandboxTargetRow {
  id: string;
  org_id: string;
  name: string;
  title: string;
  spec: Record<string, unknown>;
  spec_hash: string;
  base_url: string | null;
  created_by: string;
  created_at: Date;
}

/** What a sandbox holds that must go when it ends (written as it is made, read by teardown and the reconciler). */
export interface SandboxResources {
  /** The service process (mock, emulated), as service-process.ts records it. */
  process?: { hostId: string; pid: number; startedAt: number };
  /** The emulated mode's own database (and role of the same name). */
  database?: string;
  /** The spec file the sandbox's processes read. */
  specPath?: string;
  /** An integration's native emulators (moto, fake-gcs-server), by backend, as service-process.ts records them. */
  services?: Record<string, { hostId: string; pid: number; startedAt: number }>;
  /** An integration sandbox's services, by the integration's service name. */
  endpoints?: Record<string, string>;
}

export interface SandboxRow {
  id: string;
  org_id: string;
  agent_id: string;
  target: string;
  mode: SandboxMode;
  status: SandboxStatus;
  reason: string | null;
  config: { headers?: Record<string, string> };
  endpoint: string | null;
  mcp_server_id: string | null;
  approval_id: string | null;
  ttl_seconds: number;
  workflow_id: string;
  requested_by: string;
  resources: SandboxResources;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  expires_at: Date | null;
  last_used_at: Date | null;
  ended_at: Date | null;
}

/** One governed tool step of a pipeline stage, as its activities record it. */
export interface PipelineStepRecord {
  status: StageStatus;
  capability?: string;
  invocationId?: string;
  /** Why it was skipped (the agent lacks the capability) or failed. */
  reason?: string;
}

/** One stage of a pipeline as the row keeps it (stages jsonb). */
export interface PipelineStageRecord {
  status: StageStatus;
  attempts: number;
  startedAt: string | null;
  endedAt: string | null;
  error: PipelineError | null;
  costUsd: number;
  /** The LLM calls it made (llm_calls ids), for its cost. */
  llmCalls: string[];
  steps: Record<string, PipelineStepRecord>;
}

/** Where the deploy goes: one capability of the agent and the input it is called with (placeholders filled). */
export interface DeployTarget {
  capability: string;
  input?: Record<string, unknown>;
}

export interface PipelineRow {
  id: string;
  org_id: string;
  agent_id: string;
  requested_by: string;
  requirements: string;
  project: Record<string, unknown>;
  deploy_target: DeployTarget | null;
  sandbox_ids: string[];
  capabilities: Record<string, string>;
  status: PipelineStatus;
  error: PipelineError | null;
  stages: Record<PipelineStage, PipelineStageRecord>;
  /** numeric in PostgreSQL: knex answers it as a string. */
  cost_usd: string;
  approval_id: string | null;
  workflow_id: string;
  cancel_requested_by: string | null;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
}

export interface PipelineArtifactRow {
  id: string;
  pipeline_id: string;
  org_id: string;
  stage: PipelineStage;
  kind: 'plan' | 'design' | 'file';
  path: string;
  content: string;
  sha256: string;
  bytes: number;
  created_at: Date;
}
