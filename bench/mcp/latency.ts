// The five ways to get the same `add` call done, each as one timed operation: straight to the MCP server,
// through Collexa's API, through Collexa's /mcp/:agentId in each protocol era (2026-07-28 and 2025-11-25),
// and (the yardstick) a bare Temporal workflow with one no-op activity; measured one at a time, alternating
// (runRotating), against the same servers.
import {
  Client as McpV2Client,
  StreamableHTTPClientTransport as V2Transport,
  type ProtocolEra,
  type VersionNegotiationOptions,
} from '@modelcontextprotocol/client';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from '@temporalio/client';
import type { Baseline } from '../invoke/baseline.js';
import { sayEveryFifthRound } from '../lib/harness.js';
import { latencyBreakdown } from '../lib/history.js';
import { combineRounds, runRotating, type OpOutcome, type PathResult } from '../lib/load.js';

export const PATHS = ['direct', 'api', 'mcp-2026', 'mcp-2025', 'bare'] as const;
export type PathName = (typeof PATHS)[number];
/** The paths that go through Collexa (each runs an invocation workflow). */
export const COLLEXA_PATHS = ['api', 'mcp-2026', 'mcp-2025'] as const;
export type CollexaPath = (typeof COLLEXA_PATHS)[number];
/** Collexa's /mcp in each protocol era. */
export const MCP_ERAS = ['mcp-2026', 'mcp-2025'] as const;
export type McpEraPath = (typeof MCP_ERAS)[number];

export const PATH_LABELS: Record<PathName, string> = {
  direct: 'direct: MCP SDK v1 client → test server, tools/call add',
  api: 'Collexa API: POST /v1/agents/:id/invoke?wait=30',
  'mcp-2026': 'Collexa /mcp, 2026-07-28 (modern): SDK v2 client, tools/call sum',
  'mcp-2025': 'Collexa /mcp, 2025-11-25 (legacy): SDK v2 client, tools/call sum',
  bare: 'bare Temporal: workflow + 1 no-op activity',
};

/** An MCP SDK v1 client connected (initialize done) to a Streamable HTTP endpoint, as an MCP host would hold one. */
export async function connectMcp(url: string, bearer?: string): Promise<McpClient> {
  const client = new McpClient({ name: 'collexa-bench', version: '1.0.0' });
  const headers = bearer ? { authorization: `Bearer ${bearer}` } : undefined;
  await client.connect(new StreamableHTTPClientTransport(new URL(url), headers ? { requestInit: { headers } } : {}));
  return client;
}

/**
 * How each era's client connects: 2026-07-28 pinned (server/discover must offer it; no fallback to
 * initialize), 2025 as the plain initialize handshake. The same v2 client either way, so only the
 * protocol differs between the two paths.
 */
const ERA_NEGOTIATION: Record<McpEraPath, { options: VersionNegotiationOptions; era: ProtocolEra; version: RegExp }> = {
  'mcp-2026': { options: { mode: { pin: '2026-07-28' } }, era: 'modern', version: /^2026-07-28$/ },
  'mcp-2025': { options: { mode: 'legacy' }, era: 'legacy', version: /^2025-/ },
};

/** A connected era client and the version it negotiated. */
export interface EraClient {
  client: McpV2Client;
  protocolVersion: string;
}

/**
 * An MCP SDK v2 client connected to Collexa's /mcp/:agentId in one era, the bearer as a static header,
 * having listed the tools once (as a host does; the client then checks each result against the tool's
 * outputSchema). Throws unless the era and version negotiated are the ones asked for and `sum` is served.
 */
export async function connectMcpEra(path: McpEraPath, url: string, bearer: string): Promise<EraClient> {
  const want = ERA_NEGOTIATION[path];
  const client = new McpV2Client({ name: 'collexa-bench', version: '1.0.0' }, { versionNegotiation: want.options });
  await client.connect(
    new V2Transport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${bearer}` } } }),
  );
  const era = client.getProtocolEra();
  const protocolVersion = client.getNegotiatedProtocolVersion() ?? 'none';
  if (era !== want.era || !want.version.test(protocolVersion)) {
    await client.close();
    throw new Error(`${path}: negotiated era ${era} version ${protocolVersion}, expected ${want.era} ${want.version}`);
  }
  const { tools } = await client.listTools();
  if (!tools.some((t) => t.name === 'sum')) {
    await client.close();
    throw new Error(`${path}: /mcp does not list sum (got ${tools.map((t) => t.name).join(', ')})`);
  }
  return { client, protocolVersion };
}

/** What the five operations need: where each path is and who calls it. */
export interface LatencyTargets {
  direct: McpClient;
  collexaMcp: Record<McpEraPath, McpV2Client>;
  apiUrl: string;
  developerKey: string;
  orgId: string;
  agentId: string;
  baseline: Baseline;
}

const failed = (what: string, detail: unknown): OpOutcome => ({
  ok: false,
  error: `${what}: ${JSON.stringify(detail).slice(0, 300)}`,
});

/** One operation per path; each checks that 1 + i came back as the sum, so a wrong answer is an error. */
export function latencyOps(t: LatencyTargets): Record<PathName, (i: number) => Promise<OpOutcome>> {
  return {
    async direct(i) {
      const r = (await t.direct.callTool({ name: 'add', arguments: { a: i, b: 1 } })) as CallToolResult;
      return !r.isError && r.structuredContent?.sum === i + 1 ? { ok: true } : failed('direct', r);
    },
    async api(i) {
      const res = await fetch(`${t.apiUrl}/v1/agents/${t.agentId}/invoke?wait=30`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.developerKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ capability: 'sum', input: { a: i, b: 1 } }),
      });
      const body = (await res.json()) as {
        status?: string;
        workflowId?: string;
        result?: { structuredContent?: { sum?: number } };
      };
      const ok = res.status === 200 && body.status === 'succeeded' && body.result?.structuredContent?.sum === i + 1;
      return ok
        ? { ok, ...(body.workflowId ? { workflowId: body.workflowId } : {}) }
        : failed(`api ${res.status}`, body);
    },
    'mcp-2026': (i) => mcpSum('mcp-2026', i),
    'mcp-2025': (i) => mcpSum('mcp-2025', i),
    bare: () => t.baseline.op(),
  };

  async function mcpSum(path: McpEraPath, i: number): Promise<OpOutcome> {
    const r = await t.collexaMcp[path].callTool({ name: 'sum', arguments: { a: i, b: 1 } });
    const invocationId = r._meta?.['collexa/invocationId'];
    // 2026-07-28 lets structuredContent be any JSON value; the sum tool's outputSchema makes it an object.
    const sum = (r.structuredContent as { sum?: unknown } | undefined)?.sum;
    if (r.isError || sum !== i + 1 || typeof invocationId !== 'string') return failed(path, r);
    // The invocation's workflow id, as InvocationService names it (no Idempotency-Key given).
    return { ok: true, workflowId: `invoke-${t.orgId}-${invocationId}` };
  }
}

/** Collexa may add at most the bare workflow's p50 plus this over the direct call. */
export const ADDED_SLACK_MS = 5;

/** Added latency of one Collexa path over the direct call, against its budget (all p50). */
export interface AddedCheck {
  addedMs: number;
  budgetMs: number;
  /** added − bare p50: what Collexa costs beyond one bare workflow's round trips. */
  beyondBareMs: number;
  pass: boolean;
}

/** added = p50(path) − p50(direct) against p50(bare) + ADDED_SLACK_MS. */
export function addedCheck(path: PathResult, direct: PathResult, bare: PathResult): AddedCheck {
  const addedMs = path.latencyMs.p50 - direct.latencyMs.p50;
  const budgetMs = bare.latencyMs.p50 + ADDED_SLACK_MS;
  return { addedMs, budgetMs, beyondBareMs: addedMs - bare.latencyMs.p50, pass: addedMs <= budgetMs };
}

/** One measured mode: the five paths with a given pause between operations. */
export interface LatencyMode {
  /** Untimed pause between one operation and the next of the same path (0: back to back). */
  thinkMs: number;
  order: string[];
  /** Per path over all rounds, plus each round's p50 (did a path drift, or switch modes, during the run?). */
  paths: Record<PathName, PathResult & { perRoundP50: number[] }>;
  checks: Record<CollexaPath, AddedCheck>;
  /** Median ms per operation from 30 sampled workflow histories per path (bench/lib/history.ts). */
  breakdownMs: Record<CollexaPath | 'bare', Record<string, number>>;
}

/** Measures the five paths at concurrency 1 in rotating rounds, then reads sampled histories. */
export async function measureMode(
  ops: Record<PathName, (i: number) => Promise<OpOutcome>>,
  clients: { collexa: Client; bare: Client },
  opts: { n: number; rounds: number; thinkMs: number },
): Promise<LatencyMode> {
  const { runs, order } = await runRotating(ops, {
    ...opts,
    concurrency: 1,
    pauseMs: 200,
    onBlock: sayEveryFifthRound(opts.rounds),
  });
  const paths = combineRounds(PATHS, runs);
  const okSamples = (p: PathName) => runs[p].flatMap((r) => r.samples.filter((x) => x.ok));
  return {
    thinkMs: opts.thinkMs,
    order,
    paths,
    checks: Object.fromEntries(
      COLLEXA_PATHS.map((p) => [p, addedCheck(paths[p], paths.direct, paths.bare)]),
    ) as LatencyMode['checks'],
    breakdownMs: {
      api: await latencyBreakdown(clients.collexa, okSamples('api'), 30, { perTask: true }),
      'mcp-2026': await latencyBreakdown(clients.collexa, okSamples('mcp-2026'), 30, { perTask: true }),
      'mcp-2025': await latencyBreakdown(clients.collexa, okSamples('mcp-2025'), 30, { perTask: true }),
      bare: await latencyBreakdown(clients.bare, okSamples('bare'), 30, { perTask: true }),
    },
  };
}
