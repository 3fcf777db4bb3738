import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../core/paths.js';
import { PolicyEngine, type ApprovePolicyInput, type InvokePolicyInput } from '../../core/policy/engine.js';
import { buildPolicies } from '../../scripts/policy/build-policies.js';

const invoke = (over: { user?: object; org?: object; capability?: object } = {}): InvokePolicyInput => ({
  user: { id: 'u1', role: 'developer', org_id: 'o1', ...over.user },
  org: { id: 'o1', settings: {}, billing: { plan: null, status: null }, ...over.org },
  agent: { id: 'a1', name: 'billing-bot' },
  capability: {
    name: 'refund',
    risk: 'low',
    server: 'stripe',
    server_security_level: 'medium',
    tool: 'create_refund',
    read_only: false,
    ...over.capability,
  },
  context: { requestId: 'r1' },
});

const approve = (over: { approver?: object; approval?: object } = {}): ApprovePolicyInput => ({
  approver: { id: 'u2', role: 'approver', org_id: 'o1', ...over.approver },
  approval: {
    org_id: 'o1',
    requested_by: 'u1',
    approver_roles: ['approver', 'admin'],
    status: 'pending',
    ...over.approval,
  },
});

let tmp: string;
let engine: PolicyEngine;
let version: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'collexa-policy-test-'));
  ({ version } = await buildPolicies({ outDir: path.join(tmp, 'a') }));
  engine = await PolicyEngine.load(path.join(tmp, 'a'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('invoke policy (real WASM bundle)', () => {
  it('denies a viewer', () => {
    const d = engine.decideInvoke(invoke({ user: { role: 'viewer' } }));
    expect(d).toMatchObject({
      allow: false,
      requireApproval: false,
      approverRoles: [],
      reasons: ['viewer role may not invoke capabilities'],
    });
  });

  it('allows a developer a low risk capability without approval', () => {
    expect(engine.decideInvoke(invoke())).toEqual({
      allow: true,
      requireApproval: false,
      approverRoles: [],
      reasons: ['low risk capability allowed'],
      policyVersion: version,
    });
  });

  it('asks an approver or admin to approve a high risk capability', () => {
    const d = engine.decideInvoke(invoke({ capability: { risk: 'high' } }));
    expect(d).toMatchObject({ allow: true, requireApproval: true, approverRoles: ['approver', 'admin'] });
    expect(d.reasons).toEqual(['high risk capability requires approval by approver or admin']);
  });

  it('asks only an admin to approve a critical capability, even when the requester is an admin', () => {
    const d = engine.decideInvoke(invoke({ user: { role: 'admin' }, capability: { risk: 'critical' } }));
    expect(d).toMatchObject({ allow: true, requireApproval: true, approverRoles: ['admin'] });
  });

  it('denies an unknown risk level', () => {
    expect(engine.decideInvoke(invoke({ capability: { risk: 'extreme' } }))).toMatchObject({
      allow: false,
      reasons: ['unknown risk level extreme'],
    });
  });

  it('denies a user of another org, even for a capability that would need approval', () => {
    const d = engine.decideInvoke(invoke({ user: { org_id: 'o2' }, capability: { risk: 'high' } }));
    expect(d).toMatchObject({
      allow: false,
      requireApproval: false,
      reasons: ['user belongs to another organization'],
    });
  });

  it('denies when fields are missing, empty or of the wrong type', () => {
    const noRole = invoke();
    delete (noRole.user as Partial<InvokePolicyInput['user']>).role;
    expect(engine.decideInvoke(noRole)).toMatchObject({ allow: false, reasons: ['missing required field user.role'] });
    expect(engine.decideInvoke(invoke({ capability: { tool: '' } })).reasons).toEqual([
      'missing required field capability.tool',
    ]);
    const d = engine.decideInvoke({} as InvokePolicyInput);
    expect(d.allow).toBe(false);
    expect(d.reasons).toContain('missing required field user.id');
    expect(engine.decideInvoke(null as unknown as InvokePolicyInput).allow).toBe(false);
  });

  it('lets an org require approval from a lower risk level', () => {
    const org = { settings: { approval_required_from: 'medium' } };
    expect(engine.decideInvoke(invoke({ org, capability: { risk: 'medium' } }))).toMatchObject({
      allow: true,
      requireApproval: true,
      approverRoles: ['approver', 'admin'],
    });
    expect(engine.decideInvoke(invoke({ org, capability: { risk: 'low' } }))).toMatchObject({
      allow: true,
      requireApproval: false,
    });
  });

  it('never lets an org setting loosen the defaults', () => {
    const critical = { settings: { approval_required_from: 'critical' } };
    expect(engine.decideInvoke(invoke({ org: critical, capability: { risk: 'high' } }))).toMatchObject({
      requireApproval: true,
      approverRoles: ['approver', 'admin'],
    });
    const low = { settings: { approval_required_from: 'low' } };
    expect(engine.decideInvoke(invoke({ org: low, capability: { risk: 'critical' } })).approverRoles).toEqual([
      'admin',
    ]);
    const bogus = { settings: { approval_required_from: 'never' } };
    expect(engine.decideInvoke(invoke({ org: bogus })).allow).toBe(false);
  });
});

describe('approve policy (real WASM bundle)', () => {
  it('lets an approver of the same org decide a pending approval they did not request', () => {
    expect(engine.decideApprove(approve())).toEqual({
      allow: true,
      reasons: ['approver may decide this approval'],
      policyVersion: version,
    });
  });

  it('denies the requester deciding their own approval (four eyes)', () => {
    expect(engine.decideApprove(approve({ approver: { id: 'u1', role: 'admin' } }))).toMatchObject({
      allow: false,
      reasons: ['requester may not decide their own approval (four eyes)'],
    });
  });

  it('denies a role the approval does not name', () => {
    expect(engine.decideApprove(approve({ approval: { approver_roles: ['admin'] } })).allow).toBe(false);
    expect(
      engine.decideApprove(approve({ approver: { role: 'developer' }, approval: { approver_roles: ['developer'] } }))
        .allow,
    ).toBe(false);
  });

  it('denies an approver of another org', () => {
    expect(engine.decideApprove(approve({ approver: { org_id: 'o2' } }))).toMatchObject({
      allow: false,
      reasons: ['approver belongs to another organization'],
    });
  });

  it('denies an approval that is no longer pending', () => {
    expect(engine.decideApprove(approve({ approval: { status: 'approved' } }))).toMatchObject({
      allow: false,
      reasons: ['approval is not pending (status approved)'],
    });
  });

  it('denies when fields are missing', () => {
    expect(engine.decideApprove({} as ApprovePolicyInput).allow).toBe(false);
  });
});

describe('policy bundle', () => {
  it('names its version by content, stable across builds', async () => {
    expect(version).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(engine.version).toBe(version);
    const again = await buildPolicies({ outDir: path.join(tmp, 'b') });
    expect(again).toMatchObject({ version, rebuilt: true });
    expect(await buildPolicies({ outDir: path.join(tmp, 'b') })).toMatchObject({ version, rebuilt: false });
  });

  it('fails a build with opa’s compile error', async () => {
    const src = path.join(tmp, 'broken');
    cpSync(path.join(PROJECT_ROOT, 'policies'), src, { recursive: true });
    writeFileSync(
      path.join(src, 'collexa', 'authz', 'invoke.rego'),
      'package collexa.authz.invoke\n\ndecision := {"allow": true} if {\n',
    );
    await expect(buildPolicies({ outDir: path.join(tmp, 'broken-out'), policiesDir: src })).rejects.toThrow(
      /opa build failed: .*rego_parse_error/s,
    );
  });

  it('fails closed when the policy returns no decision or a malformed one', async () => {
    const src = path.join(tmp, 'odd', 'collexa', 'authz');
    mkdirSync(src, { recursive: true });
    writeFileSync(
      path.join(src, 'invoke.rego'),
      'package collexa.authz.invoke\n\ndecision := {"allow": "yes", "reasons": []}\n',
    );
    writeFileSync(
      path.join(src, 'approve.rego'),
      'package collexa.authz.approve\n\ndecision := {"allow": true} if input.never\n',
    );
    const out = path.join(tmp, 'odd-out');
    await buildPolicies({ outDir: out, policiesDir: path.join(tmp, 'odd') });
    const odd = await PolicyEngine.load(out);
    expect(odd.decideInvoke(invoke())).toMatchObject({
      allow: false,
      requireApproval: false,
      reasons: ['policy returned no decision'],
    });
    expect(odd.decideApprove(approve())).toMatchObject({ allow: false, reasons: ['policy returned no decision'] });
  });

  it('tells how to build a missing bundle', async () => {
    await expect(PolicyEngine.load(path.join(tmp, 'nowhere'))).rejects.toThrow(/npm run build:policies/);
  });
});
