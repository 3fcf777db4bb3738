import type { InvocationContext } from '../db/invocation-context.repository.js';
import type { PolicyDecision } from '../../contracts/invocation.contract.js';
import type { PolicyEngine } from './engine.js';

/** What an invoke decision is made from: the requester, org, agent, capability and its MCP server. */
export type InvokeSubject = Pick<InvocationContext, 'user' | 'org' | 'agent'> & {
  capability?: Pick<NonNullable<InvocationContext['capability']>, 'name' | 'risk' | 'tool' | 'tool_definition'>;
  server?: Pick<NonNullable<InvocationContext['server']>, 'name' | 'security_level'>;
  sandbox?: Pick<NonNullable<InvocationContext['sandbox']>, 'id' | 'mode' | 'target'>;
};

/**
 * collexa.authz.invoke for one call, asked the same way by the workflow's decideInvocation activity (the
 * decision that counts) and by the API before it spends rate tokens (a forecast): one input, one engine.
 * A part that no longer exists denies.
 */
export function decideInvoke(policy: PolicyEngine, s: InvokeSubject, invocationId: string): PolicyDecision {
  const { user, org, agent, capability: cap, server } = s;
  if (!user || !org || !agent || !cap || !server) {
    return {
      allow: false,
      requireApproval: false,
      approverRoles: [],
      reasons: ['the requester, agent or capability no longer exists'],
      policyVersion: policy.version,
    };
  }
  return policy.decideInvoke({
    user: { id: user.id, role: user.role, org_id: user.org_id },
    // The plan and subscription status: past_due asks an admin for high risk, canceled lets only reads run.
    org: {
      id: org.id,
      settings: org.settings,
      billing: { plan: org.billing?.plan ?? null, status: org.billing?.status ?? null },
    },
    agent: { id: agent.id, name: agent.name },
    capability: {
      name: cap.name,
      risk: cap.risk,
      server: server.name,
      server_security_level: server.security_level,
      tool: cap.tool,
      // The tool's own MCP annotation, as pinned with the capability: what "read-only" means to policy.
      read_only: (cap.tool_definition.annotations as { readOnlyHint?: unknown } | undefined)?.readOnlyHint === true,
    },
    // Where the call goes: null for the real system, else the sandbox (mock, emulated or connected), so a
    // policy can ask for sandbox runs first.
    sandbox: s.sandbox ? { id: s.sandbox.id, mode: s.sandbox.mode, target: s.sandbox.target } : null,
    context: { invocation_id: invocationId },
  });
}
