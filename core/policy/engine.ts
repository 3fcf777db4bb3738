import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadPolicy, type LoadedPolicy } from '@open-policy-agent/opa-wasm';
import type { PolicyDecision } from '../../contracts/invocation.contract.js';
import {
  POLICY_DATA_FILE,
  POLICY_ENTRYPOINTS,
  POLICY_WASM_FILE,
  policyVersion,
  type PolicyEntrypoint,
} from './bundle.js';

/** What the invoke policy is asked: who wants to run which capability of which agent, in which org. */
export interface InvokePolicyInput {
  user: { id: string; role: string; org_id: string };
  /** `billing`: the org's plan and Stripe subscription status, null before it has them. */
  org: { id: string; settings: Record<string, unknown>; billing: { plan: string | null; status: string | null } };
  agent: { id: string; name: string };
  /** `server_security_level`: the MCP server's security level (low | medium | high | critical). */
  /** `read_only`: the tool is annotated readOnlyHint (a canceled subscription runs only those). */
  capability: {
    name: string;
    risk: string;
    server: string;
    server_security_level: string;
    tool: string;
    read_only: boolean;
  };
  /** The sandbox the call is routed to, or null for the real system. */
  sandbox?: { id: string; mode: string; target: string } | null;
  context: Record<string, unknown>;
}

/** What the approve policy is asked: may this user decide this approval? */
export interface ApprovePolicyInput {
  approver: { id: string; role: string; org_id: string };
  approval: { org_id: string; requested_by: string; approver_roles: string[]; status: string };
}

/** The approve verdict. */
export interface ApproveDecision {
  allow: boolean;
  reasons: string[];
  policyVersion: string;
}

const NO_DECISION = 'policy returned no decision';

/** Evaluates the compiled Rego bundle (dist/policy) in-process through OPA's WASM runtime, synchronously. */
export class PolicyEngine {
  private constructor(
    private readonly policy: LoadedPolicy,
    /** Identity of the loaded bundle (`sha256:…`), recorded beside every decision. */
    readonly version: string,
  ) {}

  /** Loads the bundle written by `npm run build:policies` from dir (config.policyDir in the worker). */
  static async load(dir: string): Promise<PolicyEngine> {
    let wasm: Buffer, data: Buffer;
    try {
      [wasm, data] = await Promise.all([
        readFile(path.join(dir, POLICY_WASM_FILE)),
        readFile(path.join(dir, POLICY_DATA_FILE)),
      ]);
    } catch (err) {
      throw new Error(`no policy bundle in ${dir} (${(err as Error).message}): run \`npm run build:policies\``, {
        cause: err,
      });
    }
    const policy = await loadPolicy(wasm);
    const missing = POLICY_ENTRYPOINTS.filter((e) => !Object.prototype.hasOwnProperty.call(policy.entrypoints, e));
    if (missing.length > 0)
      throw new Error(`policy bundle in ${dir} lacks ${missing.join(', ')}: run \`npm run build:policies\``);
    policy.setData(JSON.parse(data.toString('utf8')) as object);
    return new PolicyEngine(policy, policyVersion(wasm, data));
  }

  /** May input.user run input.capability now, after an approval, or not at all. */
  decideInvoke(input: InvokePolicyInput): PolicyDecision {
    const r = this.evaluate(input, 'collexa/authz/invoke/decision');
    const deny = (reason: string): PolicyDecision => ({
      allow: false,
      requireApproval: false,
      approverRoles: [],
      reasons: [reason],
      policyVersion: this.version,
    });
    if (typeof r === 'string') return deny(r);
    const { allow, require_approval: requireApproval, approver_roles: approverRoles, reasons } = r;
    if (
      typeof allow !== 'boolean' ||
      typeof requireApproval !== 'boolean' ||
      !isStrings(approverRoles) ||
      !isStrings(reasons)
    )
      return deny(NO_DECISION);
    // An approval nobody may give, or one asked of a denied call, is a broken policy: refuse.
    if (requireApproval && !(allow && approverRoles.length > 0)) return deny(NO_DECISION);
    return { allow, requireApproval, approverRoles, reasons, policyVersion: this.version };
  }

  /** May input.approver approve or reject input.approval. */
  decideApprove(input: ApprovePolicyInput): ApproveDecision {
    const r = this.evaluate(input, 'collexa/authz/approve/decision');
    if (typeof r === 'string') return { allow: false, reasons: [r], policyVersion: this.version };
    if (typeof r.allow !== 'boolean' || !isStrings(r.reasons)) {
      return { allow: false, reasons: [NO_DECISION], policyVersion: this.version };
    }
    return { allow: r.allow, reasons: r.reasons, policyVersion: this.version };
  }

  /** The entrypoint's single result object, or the reason to deny when there is none. */
  private evaluate(input: object, entrypoint: PolicyEntrypoint): Record<string, unknown> | string {
    let rs: unknown;
    try {
      rs = this.policy.evaluate(input, entrypoint);
    } catch (err) {
      // A trap inside the policy (e.g. a rule conflict) is a deny, never a retried activity error or an allow.
      return `policy evaluation failed: ${err instanceof Error ? err.message : String(err)}`;
    }
    const result: unknown =
      Array.isArray(rs) && rs.length === 1 ? (rs[0] as { result?: unknown } | undefined)?.result : undefined;
    return typeof result === 'object' && result !== null && !Array.isArray(result)
      ? (result as Record<string, unknown>)
      : NO_DECISION;
  }
}

function isStrings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}
