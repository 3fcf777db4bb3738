// What bench/sandbox does over the API, as a user would: an openapi MCP server on the shipped collexa-test
// target and an agent whose capability `list_issues` is its `lst-issues` tool; sandboxes made, awaited,
// and deleted; one sandboxed invocation.
import { setTimeout as sleep } from 'node:timers/promises';
import { isTerminalSandbox } from '../../contracts/sandbox.contract.js';
import { apiPost, apiRequest } from '../lib/collexa.js';

export const SANDBOX_MODES = ['mock', 'emulated'] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];

/** The fields of the sandbox view the bench reads. */
export interface SandboxView {
  id: string;
  status: string;
  reason: string | null;
  endpoint: string | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
}

/** The API, the keys and the agent every sandbox of the run belongs to. */
export interface SandboxTarget {
  url: string;
  developerKey: string;
  agentId: string;
}

/**
 * Registers `issues` (the openapi template on collexa-test) and an agent `tracker` with the low-risk
 * capability `list_issues`. The server's baseUrl (the "real system") is never called: every call of the
 * bench names a sandbox, whose own server points at the sandbox's endpoint instead.
 */
export async function createIssuesAgent(url: string, adminKey: string): Promise<{ agentId: string }> {
  await apiPost(
    url,
    adminKey,
    '/v1/mcp-servers?wait=60',
    { name: 'issues', template: 'openapi', config: { target: 'collexa-test', baseUrl: 'http://127.0.0.1:9' } },
    201,
  );
  const listed = await apiRequest(url, adminKey, 'GET', '/v1/tools?server=issues&limit=100');
  const names = ((listed.body as { data?: { name: string }[] }).data ?? []).map((t) => t.name);
  // The openapi MCP server abbreviates operation ids (listIssues → lst-issues).
  if (!names.includes('lst-issues')) throw new Error(`issues has no lst-issues tool (got ${names.join(', ')})`);
  const agent = (await apiPost(
    url,
    adminKey,
    '/v1/agents',
    { name: 'tracker', capabilities: [{ name: 'list_issues', server: 'issues', tool: 'lst-issues', risk: 'low' }] },
    201,
  )) as { id: string };
  return { agentId: agent.id };
}

/** POST /v1/agents/:agentId/sandboxes; throws unless 201 and provisioning. */
export async function createSandbox(t: SandboxTarget, mode: SandboxMode): Promise<SandboxView> {
  const created = await apiRequest(t.url, t.developerKey, 'POST', `/v1/agents/${t.agentId}/sandboxes`, {
    target: 'collexa-test',
    mode,
  });
  const view = created.body as SandboxView;
  if (created.status !== 201 || view.status !== 'provisioning')
    throw new Error(`create ${mode} sandbox: ${created.status} ${JSON.stringify(created.body).slice(0, 300)}`);
  return view;
}

/** DELETE /v1/sandboxes/:id; throws unless 202. */
export async function deleteSandbox(t: SandboxTarget, id: string): Promise<void> {
  const res = await apiRequest(t.url, t.developerKey, 'DELETE', `/v1/sandboxes/${id}`);
  if (res.status !== 202) throw new Error(`delete sandbox ${id}: ${res.status} ${JSON.stringify(res.body)}`);
}

/**
 * Polls GET /v1/sandboxes/:id every `pollMs` until its status is `want`; throws if it ends otherwise
 * (a sandbox that fails is an error, not a slow start) or after `timeoutMs`.
 */
export async function waitForStatus(
  t: SandboxTarget,
  id: string,
  want: 'running' | 'stopped',
  opts: { pollMs: number; timeoutMs: number },
): Promise<SandboxView> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const res = await apiRequest(t.url, t.developerKey, 'GET', `/v1/sandboxes/${id}`);
    const view = res.body as SandboxView;
    if (res.status !== 200) throw new Error(`GET sandbox ${id}: ${res.status} ${JSON.stringify(res.body)}`);
    if (view.status === want) return view;
    if (isTerminalSandbox(view.status))
      throw new Error(`sandbox ${id} is ${view.status} (${view.reason ?? 'no reason'}), expected ${want}`);
    if (Date.now() > deadline) throw new Error(`sandbox ${id} still ${view.status} after ${opts.timeoutMs} ms`);
    await sleep(opts.pollMs);
  }
}
