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
  /** The running sandbox (its services' endpoints under `resources.endpoints` of the row). */
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
  const spec = integrationSpec(opts.integration);
  if (!spec) throw new Error(`no integration ${opts.integration}`);
  const platform = opts.platform ?? (await startPlatform({ sandboxes: { idleMs: 600_000 } }));
  const org = await createOrg(platform.db, `${opts.integration}-${opts.mode}`);
  const developerKey = (await userWithRole(platform.db, org.org.id, 'developer')).key;
  const server = await call(`${platform.url}/v1/mcp-servers?wait=60`, {
    method: 'POST',
    key: org.adminKey,
    json: { name: opts.integration, template: opts.integration, config: opts.config ?? {} },
  });
  expect(server.json, server.text).toMatchObject({ status: 'healthy', template: opts.integration });
  const agent = await call(`${platform.url}/v1/agents`, {
    method: 'POST',
    key: org.adminKey,
    json: {
      name: `${opts.integration}-agent`,
      capabilities: spec.tools.map((t) => ({ name: t.name, server: opts.integration, tool: t.name, risk: 'low' })),
    },
  });
  expect(agent.status, agent.text).toBe(201);
  const created = await call(`${platform.url}/v1/agents/${agent.json.id}/sandboxes`, {
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
  const row = await platform.db('sandboxes').where({ id: created.json.id }).first();
  const invoke = async (tool: string, input: Record<string, unknown>) => {
    const res = await call(`${platform.url}/v1/agents/${agent.json.id}/invoke?wait=60`, {
      method: 'POST',
      key: developerKey,
      json: { capability: tool, input, sandboxId: created.json.id },
    });
    expect(res.status, res.text).toBeLessThan(500);
    return res.json as InvocationView;
  };
  return {
    platform,
    orgId: org.org.id,
    adminKey: org.adminKey,
    developerKey,
    agentId: agent.json.id,
    serverId: server.json.id,
    sandbox: { id: created.json.id, endpoint: running.endpoint, endpoints: row.resources.endpoints ?? {} },
    invoke,
    run: async (tool, input) => {
      const inv = await invoke(tool, input);
      expect(inv.status, `${tool}: ${JSON.stringify(inv.error ?? inv.result)}`).toBe('succeeded');
      return inv.result!.structuredContent ?? {};
    },
  };
}
