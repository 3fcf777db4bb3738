// Time of one invoke policy decision in-process (OPA WASM through PolicyEngine.decideInvoke).
import { randomUUID } from 'node:crypto';
import { PolicyEngine, type InvokePolicyInput } from '../../core/policy/engine.js';
import { summarize } from '../lib/load.js';

/** Per-call times in µs of decideInvoke on a developer's low-risk call (the auto-approved path), after warm-up. */
export async function benchPolicy(policyDir: string, calls: number, warmup: number) {
  const engine = await PolicyEngine.load(policyDir);
  const orgId = randomUUID();
  const input: InvokePolicyInput = {
    user: { id: randomUUID(), role: 'developer', org_id: orgId },
    org: { id: orgId, settings: {}, billing: { plan: null, status: null } },
    agent: { id: randomUUID(), name: 'bench-agent' },
    capability: {
      name: 'sum',
      risk: 'low',
      server: 'bench-mcp',
      server_security_level: 'medium',
      tool: 'add',
      read_only: false,
    },
    context: { invocation_id: randomUUID() },
  };
  const check = engine.decideInvoke(input);
  if (!check.allow || check.requireApproval)
    throw new Error(`policy did not auto-approve the benchmark input: ${JSON.stringify(check)}`);
  for (let i = 0; i < warmup; i++) engine.decideInvoke(input);
  const us = new Array<number>(calls);
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    engine.decideInvoke(input);
    us[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  return { calls, warmup, ...summarize(us) };
}

export type PolicyResult = Awaited<ReturnType<typeof benchPolicy>>;
