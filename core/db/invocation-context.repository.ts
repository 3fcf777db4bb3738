import type { Knex } from 'knex';
import { notFound } from '../errors.js';
import type {
  AgentRow,
  CapabilityRow,
  InvocationRow,
  McpServerRow,
  OrganizationRow,
  SandboxRow,
  UserRow,
} from './rows.js';

/** The org's plan and Stripe subscription status (null before it has either): policy reads them. */
export interface OrgBilling {
  plan: string | null;
  status: string | null;
}

// The org object every policy input is built from, with its billing state (billing_accounts as b).
const ORG_JSON =
  "jsonb_build_object('id', o.id, 'settings', o.settings, 'billing', jsonb_build_object('plan', b.plan, 'status', b.subscription_status))";

/** Everything an invocation's activities need, read in one query; parts are undefined once deleted. */
export interface InvocationContext {
  invocation: InvocationRow;
  user?: Pick<UserRow, 'id' | 'role' | 'org_id'>;
  org?: Pick<OrganizationRow, 'id' | 'settings'> & { billing?: OrgBilling };
  agent?: Pick<AgentRow, 'id' | 'name'>;
  capability?: CapabilityRow;
  server?: McpServerRow;
  /** The sandbox the call was routed to (with its own MCP server, once it runs), if any. */
  sandbox?: Pick<SandboxRow, 'id' | 'mode' | 'target' | 'status'> & { server?: McpServerRow };
}

/**
 * The hot path of every invocation reads its requester, org, agent, capability and MCP server together:
 * one round trip instead of six, since activities run once per step of every invocation.
 */
export class InvocationContextRepository {
  constructor(private readonly db: Knex) {}

  async load(invocationId: string): Promise<InvocationContext> {
    const row = await this.db('invocations as i')
      .leftJoin('users as u', 'u.id', 'i.requested_by')
      .leftJoin('organizations as o', 'o.id', 'i.org_id')
      .leftJoin('billing_accounts as b', 'b.org_id', 'i.org_id')
      .leftJoin('agents as a', 'a.id', 'i.agent_id')
      .leftJoin('agent_capabilities as c', (j) =>
        j.on('c.agent_id', '=', 'i.agent_id').andOn('c.name', '=', 'i.capability'),
      )
      .leftJoin('mcp_servers as s', 's.id', 'c.server_id')
      .leftJoin('sandboxes as sb', 'sb.id', 'i.sandbox_id')
      .leftJoin('mcp_servers as ss', 'ss.id', 'sb.mcp_server_id')
      .where('i.id', invocationId)
      .first(
        this.db.raw('to_jsonb(i) as invocation'),
        this.db.raw(
          "case when u.id is null then null else jsonb_build_object('id', u.id, 'role', u.role, 'org_id', u.org_id) end as \"user\"",
        ),
        this.db.raw(`case when o.id is null then null else ${ORG_JSON} end as org`),
        this.db.raw(
          "case when a.id is null then null else jsonb_build_object('id', a.id, 'name', a.name) end as agent",
        ),
        this.db.raw('case when c.id is null then null else to_jsonb(c) end as capability'),
        this.db.raw('case when s.id is null then null else to_jsonb(s) end as server'),
        this.db.raw(
          "case when sb.id is null then null else jsonb_build_object('id', sb.id, 'mode', sb.mode, 'target', sb.target, 'status', sb.status, 'server', to_jsonb(ss)) end as sandbox",
        ),
      );
    if (!row) throw notFound('invocation', invocationId);
    return {
      invocation: row.invocation,
      user: row.user ?? undefined,
      org: row.org ?? undefined,
      agent: row.agent ?? undefined,
      capability: row.capability ?? undefined,
      server: row.server ?? undefined,
      sandbox: row.sandbox ? { ...row.sandbox, server: row.sandbox.server ?? undefined } : undefined,
    };
  }

  /** The requester and org of a call not recorded yet (the API's policy forecast before admission). */
  async requester(orgId: string, userId: string): Promise<Pick<InvocationContext, 'user' | 'org'>> {
    const row = await this.db('organizations as o')
      .leftJoin('billing_accounts as b', 'b.org_id', 'o.id')
      .leftJoin('users as u', (j) => j.on('u.org_id', '=', 'o.id').andOn('u.id', '=', this.db.raw('?', [userId])))
      .where('o.id', orgId)
      .first('o.id as org_id', 'o.settings', 'b.plan', 'b.subscription_status', 'u.id as user_id', 'u.role');
    if (!row) return {};
    return {
      org: { id: row.org_id, settings: row.settings, billing: { plan: row.plan, status: row.subscription_status } },
      user: row.user_id ? { id: row.user_id, role: row.role, org_id: row.org_id } : undefined,
    };
  }
}
