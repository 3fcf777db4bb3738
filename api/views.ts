import type { AgentWithCapabilities } from '../core/db/agent.repository.js';
import type { ApprovalRow, AuditEventRow, InvocationRow, McpServerRow } from '../core/db/rows.js';
import { effectiveLimits } from '../core/limits/defaults.js';

/** JSON shapes the API returns: snake_case rows become camelCase resources; secrets never leave. */

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

export function serverView(s: McpServerRow) {
  return {
    id: s.id,
    name: s.name,
    transport: s.transport,
    ...(s.transport === 'stdio' ? { command: s.command, args: s.args, envKeys: Object.keys(s.env), network: s.network } : { url: withoutCredentials(s.url), headerNames: Object.keys(s.headers) }),
    status: s.status,
    statusReason: s.status_reason,
    lastCheckAt: iso(s.last_check_at),
    toolsCount: s.tools_count,
    securityLevel: s.security_level,
    limits: s.limits,
    /** The limits calls run under: `limits` over the security level's defaults. */
    effectiveLimits: effectiveLimits(s),
    template: s.template,
    createdAt: iso(s.created_at),
  };
}

export function agentView(a: AgentWithCapabilities, serverNames: Map<string, string>) {
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    capabilities: a.capabilities.map((c) => ({
      name: c.name,
      server: { id: c.server_id, name: serverNames.get(c.server_id) ?? null },
      tool: c.tool,
      description: c.description,
      risk: c.risk,
      inputSchema: c.tool_definition.inputSchema ?? null,
      annotations: c.tool_definition.annotations ?? null,
      pinnedHash: c.pinned_hash,
      pinnedAt: iso(c.pinned_at),
    })),
    createdAt: iso(a.created_at),
    updatedAt: iso(a.updated_at),
  };
}

export function approvalView(a: ApprovalRow) {
  return {
    id: a.id,
    status: a.status,
    subjectType: a.subject_type,
    subjectId: a.subject_id,
    invocationId: a.invocation_id,
    requestedBy: a.requested_by,
    approverRoles: a.approver_roles,
    context: a.context,
    decidedBy: a.decided_by,
    comment: a.comment,
    expiresAt: iso(a.expires_at),
    decidedAt: iso(a.decided_at),
    createdAt: iso(a.created_at),
    links: { self: `/v1/approvals/${a.id}`, approve: `/v1/approvals/${a.id}/approve`, deny: `/v1/approvals/${a.id}/deny` },
  };
}

export function invocationView(i: InvocationRow, approval?: ApprovalRow) {
  const created = new Date(i.created_at).getTime();
  return {
    invocationId: i.id,
    agentId: i.agent_id,
    capability: i.capability,
    status: i.status,
    input: i.input,
    requestedBy: i.requested_by,
    idempotencyKey: i.idempotency_key,
    decision: i.decision
      ? { allow: i.decision.allow, requireApproval: i.decision.requireApproval, reasons: i.decision.reasons, policyVersion: i.decision.policyVersion }
      : null,
    approval: approval ? approvalView(approval) : null,
    result: i.result ? { content: i.result.content, structuredContent: i.result.structuredContent ?? null } : null,
    error: i.error,
    workflowId: i.workflow_id,
    timings: {
      createdAt: iso(i.created_at),
      decidedAt: iso(i.decided_at),
      toolStartedAt: iso(i.tool_started_at),
      completedAt: iso(i.completed_at),
      durationMs: i.completed_at ? new Date(i.completed_at).getTime() - created : null,
    },
    links: {
      self: `/v1/invocations/${i.id}`,
      cancel: `/v1/invocations/${i.id}/cancel`,
      audit: `/v1/audit?invocationId=${i.id}`,
      ...(i.approval_id ? { approval: `/v1/approvals/${i.approval_id}` } : {}),
    },
  };
}

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

/** A stored URL as anyone may see it: credentials (refused since, but possibly in older rows) are cut out. */
function withoutCredentials(url: string | null): string | null {
  if (!url || !URL.canParse(url)) return url;
  const u = new URL(url);
  if (!u.username && !u.password) return url;
  u.username = '';
  u.password = '';
  return u.toString();
}
