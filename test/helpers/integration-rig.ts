// The real path of an integration's tools: an org, its integration server (POST /v1/mcp-servers
// {template}), an agent holding every tool as a capability, and a sandbox of the integration's target;
// each call goes agent → invocation workflow → the integration's MCP server (sandboxed) → the sandbox.
import { expect } from 'vitest';
import { integrationSpec } from '../../core/integrations/catalog.js';
import { startPlatform, userWithRole } from './platform.js';
import { call, createOrg } from './stack.js';
import { waitFor } from './wait.js';

export type Platform = Awaited<ReturnType<typeof startPlatform>>;

export interface IntegrationRig {
  platform: Platform;
  orgId: string;
  adminKey: string;
  developerKey: string;
  agentId: string;
  serverId: string;
  /** The running sandbox and its services' endpoints (GET /v1/sandboxes/:id `endpoints`). */
  sandbox: { id: string; endpoint: string; endpoints: Record<string, string> };
  /** Invokes capability `tool` in the sandbox and answers the invocation as the API shows it. */
  invoke(tool: string, input: Record<string, unknown>): Promise<InvocationView>;
  /** Invokes `tool`, expects it to succeed, and answers its structured content. */
  run(tool: string, input: Record<string, unknown>): Promise<Record<string, unknown>>;
}

export interface InvocationView {
  status: string;
  invocationId: string;
  result?: {
    content: Array<{ type: string; text?: string }>;
    structuredContent: Record<string, unknown> | null;
  } | null;
  error?: { code: string; message: string };
  [key: string]: unknown;
}

/** An org with `integration`'s server (its `config`, after the `secrets` it names) and an agent holding every tool it serves. */
async function integrationAgent(
  platform: Platform,
  integration: string,
  label: string,
  config: Record<string, unknown>,
  secrets: Record<string, string> = {},
) {
  const spec = integrationSpec(integration);
  if (!spec) throw new Error(`no integration ${integration}`);
  const org = await createOrg(platform.db, `${integration}-${label}`);
  const developerKey = (await userWithRole(platform.db, org.org.id, 'developer')).key;
  for (const [name, value] of Object.entries(secrets)) {
    const secret = await call(`${platform.url}/v1/secrets`, {
      method: 'POST',
      key: org.adminKey,
      json: { name, value },
    });
    expect(secret.status, secret.text).toBeLessThan(300);
  }
  const server = await call(`${platform.url}/v1/mcp-servers?wait=60`, {
    method: 'POST',
    key: org.adminKey,
    json: { name: integration, template: integration, config },
  });
  expect(server.json, server.text).toMatchObject({ status: 'healthy', template: integration });
  // The tools the server serves, which its config may narrow (postgres serves `execute` only when writable).
  const listed = await call(`${platform.url}/v1/tools?server=${integration}&limit=100`, { key: org.adminKey });
  const tools = (listed.json.data as Array<{ name: string }>).map((t) => t.name).sort();
  const agent = await call(`${platform.url}/v1/agents`, {
    method: 'POST',
    key: org.adminKey,
    json: {
      name: `${integration}-agent`,
      capabilities: tools.map((t) => ({ name: t, server: integration, tool: t, risk: 'low' })),
    },
  });
  expect(agent.status, agent.text).toBe(201);
  const invoke = async (tool: string, input: Record<string, unknown>, sandboxId?: string) => {
    const res = await call(`${platform.url}/v1/agents/${agent.json.id}/invoke?wait=60`, {
      method: 'POST',
      key: developerKey,
      json: { capability: tool, input, ...(sandboxId ? { sandboxId } : {}) },
    });
    expect(res.status, res.text).toBeLessThan(500);
    return res.json as InvocationView;
  };
  const serverId = server.json.id as string;
  return { spec, org, developerKey, serverId, agentId: agent.json.id as string, tools, invoke };
}

/**
 * `integration`'s server on the system at `baseUrl` (a test's own server speaking the vendor's protocol),
 * with `credential` as its org secret: `invoke` calls it outside any sandbox.
 */
export async function connectedIntegration(opts: {
  integration: string;
  /** The vendor's base URL, when the integration takes one. */
  baseUrl?: string;
  credential: string;
  /** The rest of the server's config (the integration's own fields, `tools`, …). */
  config?: Record<string, unknown>;
  platform: Platform;
}): Promise<{
  /** The tools the server serves, sorted. */
  tools: string[];
  invoke(tool: string, input: Record<string, unknown>): Promise<InvocationView>;
}> {
  const name = `${opts.integration.toUpperCase()}_CREDENTIAL`;
  const config = { ...opts.config, ...(opts.baseUrl !== undefined ? { baseUrl: opts.baseUrl } : {}) };
  const { tools, invoke } = await integrationAgent(
    opts.platform,
    opts.integration,
    'connected',
    { ...config, credentials: `secret:${name}` },
    { [name]: opts.credential },
  );
  return { tools, invoke: (tool, input) => invoke(tool, input) };
}

/**
 * Sets up `integration` on `platform` (one is started when none is given) with a sandbox of `mode`.
 * `config` is the server's config (default none: it serves sandboxes only).
 */
export async function integrationRig(opts: {
  integration: string;
  mode: 'mock' | 'emulated';
  config?: Record<string, unknown>;
  platform?: Platform;
}): Promise<IntegrationRig> {
  const platform = opts.platform ?? (await startPlatform({ sandboxes: { idleMs: 600_000 } }));
  const { spec, org, developerKey, serverId, agentId, invoke } = await integrationAgent(
    platform,
    opts.integration,
    opts.mode,
    opts.config ?? {},
  );
  const created = await call(`${platform.url}/v1/agents/${agentId}/sandboxes`, {
    method: 'POST',
    key: developerKey,
    json: { target: spec.sandbox.target, mode: opts.mode },
  });
  expect(created.status, created.text).toBe(201);
  const running = await waitFor(
    () => call(`${platform.url}/v1/sandboxes/${created.json.id}`, { key: developerKey }).then((r) => r.json),
    (s) => s.status === 'running' || s.status === 'failed',
    { what: `${opts.integration} ${opts.mode} sandbox to run`, timeoutMs: 180_000 },
  );
  expect(running.status, JSON.stringify(running)).toBe('running');
  const inSandbox = (tool: string, input: Record<string, unknown>) => invoke(tool, input, created.json.id);
  return {
    platform,
    orgId: org.org.id,
    adminKey: org.adminKey,
    developerKey,
    agentId,
    serverId,
    sandbox: { id: created.json.id, endpoint: running.endpoint, endpoints: running.endpoints ?? {} },
    invoke: inSandbox,
    run: async (tool, input) => {
      const inv = await inSandbox(tool, input);
      expect(inv.status, `${tool}: ${JSON.stringify(inv.error ?? inv.result)}`).toBe('succeeded');
      return inv.result!.structuredContent ?? {};
    },
  };
}

/** The structured error of an invocation whose tool failed (a vendor's error: vendor, status, code, message). */
export function toolErrorOf(inv: InvocationView): Record<string, unknown> {
  expect(inv.status, JSON.stringify(inv)).not.toBe('succeeded');
  const structured = inv.result?.structuredContent as { error?: Record<string, unknown> } | null | undefined;
  return structured?.error ?? (inv.error as unknown as Record<string, unknown>);
}

/**
 * None of `secrets` is in what the platform keeps of invocation `id`: its row (input, result, error) and
 * every audit event of it — not only the API's view of it.
 */
export async function expectKeptWithout(platform: Platform, id: string, secrets: string[]): Promise<void> {
  const kept = JSON.stringify({
    row: await platform.db('invocations').where({ id }).first(),
    audit: await platform.db('audit_events').where({ invocation_id: id }),
  });
  expect(kept).toContain(id);
  for (const s of secrets) expect(kept, 'a secret in the stored invocation or its audit').not.toContain(s);
}
