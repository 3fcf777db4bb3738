import type { SandboxRow } from '../../core/db/rows.js';
import { iso } from './iso.js';

/** A sandbox as the API shows it: never its resources (pids, database names) or header values. */
export function sandboxView(s: SandboxRow) {
  return {
    id: s.id,
    agentId: s.agent_id,
    target: s.target,
    mode: s.mode,
    status: s.status,
    reason: s.reason,
    endpoint: s.endpoint,
    // An integration's sandbox: where each of its services is (moto, fake-gcs-server, the description's mock).
    ...(s.resources.endpoints ? { endpoints: s.resources.endpoints } : {}),
    mcpServerId: s.mcp_server_id,
    approvalId: s.approval_id,
    headerNames: Object.keys(s.config.headers ?? {}),
    ttl: s.ttl_seconds,
    requestedBy: s.requested_by,
    createdAt: iso(s.created_at),
    startedAt: iso(s.started_at),
    expiresAt: iso(s.expires_at),
    lastUsedAt: iso(s.last_used_at),
    endedAt: iso(s.ended_at),
    links: {
      self: `/v1/sandboxes/${s.id}`,
      reset: `/v1/sandboxes/${s.id}/reset`,
      ...(s.approval_id ? { approval: `/v1/approvals/${s.approval_id}` } : {}),
    },
  };
}
