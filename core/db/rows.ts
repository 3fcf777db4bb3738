import type { Role } from '../identity/roles.js';

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
