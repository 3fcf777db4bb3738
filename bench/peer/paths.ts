// The three ways bench/peer makes the same MCP tool call, each with the same client (MCP SDK v1 Client +
// StreamableHTTPClientTransport, connected once and listed once, as a host holds one): straight to our test
// server's `add`, through Collexa's /mcp/:agentId (`sum`, an auto-approved low-risk capability bound to that
// `add`) and through ContextForge's virtual server (`bench-mcp-add`).
import type { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { OpOutcome } from '../lib/load.js';
import { connectMcp } from '../mcp/latency.js';

export const PATHS = ['direct', 'collexa', 'contextforge'] as const;
export type PathName = (typeof PATHS)[number];
/** The gateways compared at concurrency C. */
export const GATEWAYS = ['collexa', 'contextforge'] as const;
export type Gateway = (typeof GATEWAYS)[number];

export const PATH_LABELS: Record<PathName, string> = {
  direct: 'direct: SDK client → test server, add',
  collexa: 'Collexa /mcp/:agentId, sum',
  contextforge: 'ContextForge /servers/:id/mcp, bench-mcp-add',
};

/** Where each path's endpoint is, its bearer and the tool's name there. */
export type Endpoints = Record<PathName, { url: string; bearer?: string; tool: string }>;

/** A connected client per path; throws unless each endpoint lists its tool. */
export async function connectPaths(endpoints: Endpoints): Promise<Record<PathName, McpClient>> {
  const clients: Partial<Record<PathName, McpClient>> = {};
  try {
    for (const p of PATHS) {
      const { url, bearer, tool } = endpoints[p];
      const client = await connectMcp(url, bearer);
      clients[p] = client;
      const { tools } = await client.listTools();
      if (!tools.some((t) => t.name === tool))
        throw new Error(`${p}: ${url} does not list ${tool} (got ${tools.map((t) => t.name).join(', ')})`);
    }
  } catch (err) {
    await Promise.all(Object.values(clients).map((c) => c.close()));
    throw err;
  }
  return clients as Record<PathName, McpClient>;
}

/**
 * One operation per path: tools/call with {a: i, b: 1}; an error result or a sum other than i + 1 is an error.
 * Collexa's result must also carry its invocation id (the call ran as a governed invocation), from which
 * the sample gets its workflow id (as InvocationService names it) for the history breakdown.
 */
export function pathOps(
  clients: Record<PathName, McpClient>,
  endpoints: Endpoints,
  orgId: string,
): Record<PathName, (i: number) => Promise<OpOutcome>> {
  const call = async (p: PathName, i: number): Promise<OpOutcome> => {
    const r = (await clients[p].callTool({ name: endpoints[p].tool, arguments: { a: i, b: 1 } })) as CallToolResult;
    const sum = (r.structuredContent as { sum?: unknown } | undefined)?.sum;
    const invocationId = r._meta?.['collexa/invocationId'];
    const governed = p !== 'collexa' || typeof invocationId === 'string';
    if (r.isError || sum !== i + 1 || !governed)
      return { ok: false, error: `${p}: ${JSON.stringify(r).slice(0, 300)}` };
    return p === 'collexa' ? { ok: true, workflowId: `invoke-${orgId}-${String(invocationId)}` } : { ok: true };
  };
  return {
    direct: (i) => call('direct', i),
    collexa: (i) => call('collexa', i),
    contextforge: (i) => call('contextforge', i),
  };
}
