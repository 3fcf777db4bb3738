// Property-based fuzzing of every route (and /mcp with JSON-RPC) with each role's key: generated bodies,
// queries, headers and path parameters never get a 5xx, a 4xx is always the JSON envelope, nothing the
// fuzzer started is left stuck, and /healthz keeps answering throughout (within a second: a blocked event
// loop, not a speed goal; speed lives in bench/, and a loaded CI machine must not fail this).
//   FUZZ_SEED=<n> FUZZ_RUNS=<per route> npx vitest run test/fuzz
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TERMINAL_INVOCATION_STATUSES } from '../../contracts/invocation.contract.js';
import { API_ROUTES, appRoutes } from '../helpers/api-routes.js';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { startPlatform, userWithRole } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';
import { spawnApi, watchHealth } from './api-process.js';
import { requestArb, type FuzzRequest, type Targets } from './arbitraries.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_260_901);
const RUNS = Number(process.env.FUZZ_RUNS ?? 50);
const HEALTH_BUDGET_MS = 1_000;
// The routes that start workflows get more runs: that is where stuck state would come from.
const RUNS_FACTOR: Record<string, number> = {
  '/v1/agents/:agentId/invoke': 5,
  '/v1/approvals': 3,
  '/mcp': 3,
  '/mcp/:agentId': 3,
};

let platform: Awaited<ReturnType<typeof startPlatform>>;
let fixture: HttpMcpServer;
let api: Awaited<ReturnType<typeof spawnApi>>;
let org: Awaited<ReturnType<typeof createOrg>>;
let keys: Record<string, string | undefined>;
let targets: Targets;
const stats = { requests: 0, fiveXx: 0, byStatus: new Map<number, number>() };
// [started, ended, what] of each request, to name what ran while /healthz was slow.
const timeline: [number, number, string][] = [];

beforeAll(async () => {
  fixture = await startHttpMcpServer();
  platform = await startPlatform({ mcpHealthIntervalMs: 60_000 });
  // The API under test runs alone in its own process, on the platform's task queue (its worker is in-process here).
  api = await spawnApi({
    TEMPORAL_TASK_QUEUE: platform.taskQueue,
    MCP_APPROVAL_WAIT_MS: '300',
    MCP_HEALTH_INTERVAL_SECONDS: '60',
    BODY_LIMIT: '100kb',
  });
  org = await createOrg(platform.db, 'fuzz');
  const role = async (r: 'developer' | 'approver' | 'viewer') => (await userWithRole(platform.db, org.org.id, r)).key;
  keys = {
    admin: org.adminKey,
    developer: await role('developer'),
    approver: await role('approver'),
    viewer: await role('viewer'),
    none: undefined,
    bogus: 'clx_bogus',
  };
  const admin = (path: string, json?: unknown, method = json === undefined ? 'GET' : 'POST') =>
    call(`${api.url}${path}`, { method, key: org.adminKey, json });
  const server = await admin('/v1/mcp-servers?wait=20', { name: 'fuzz-http', transport: 'http', url: fixture.url });
  const caps = [
    { name: 'say', server: 'fuzz-http', tool: 'echo', risk: 'low' },
    { name: 'sum', server: 'fuzz-http', tool: 'add', risk: 'high' },
    { name: 'note', server: 'fuzz-http', tool: 'record', risk: 'critical' },
  ];
  const agent = await admin('/v1/agents', { name: 'fuzz', capabilities: caps });
  const victim = await admin('/v1/agents', { name: 'victim', capabilities: caps.slice(0, 1) });
  const victimKey = await userWithRole(platform.db, org.org.id, 'viewer', 'victim');
  await admin('/v1/secrets', { name: 'FUZZ_SECRET', value: 'v' });
  const manifest = await admin(`/v1/agents/${agent.json.id}/manifests`, {});
  const pending = await call(`${api.url}/v1/agents/${agent.json.id}/invoke`, {
    method: 'POST',
    key: keys.developer,
    json: { capability: 'sum', input: { a: 1, b: 2 } },
  });
  const invocation = await call(`${api.url}/v1/invocations/${pending.json.invocationId}?wait=5`, {
    key: keys.developer,
  });
  expect(invocation.json?.approval?.id, invocation.text).toBeTruthy();
  targets = {
    agentId: agent.json.id,
    victimAgentId: victim.json.id,
    serverId: server.json.id,
    victimKeyId: victimKey.id,
    secretName: 'FUZZ_SECRET',
    manifestId: manifest.json.id,
    invocationId: invocation.json.invocationId ?? pending.json.invocationId,
    approvalId: invocation.json.approval.id,
  };
}, 120_000);

afterAll(async () => {
  console.log(
    `[fuzz] seed ${SEED}, ${stats.requests} requests, ${stats.fiveXx} with a 5xx; by status ${JSON.stringify(Object.fromEntries([...stats.byStatus].sort()))}`,
  );
  await api?.stop();
  await platform?.stop();
  await fixture?.stop();
});

async function send(route: (typeof API_ROUTES)[number], r: FuzzRequest) {
  const headers = new Headers(r.headers);
  const key = keys[r.role];
  if (key) headers.set('authorization', `Bearer ${key}`);
  const url = `${api.url}${r.path}${r.query ? `?${r.query}` : ''}`;
  stats.requests++;
  const started = Date.now();
  const res = await fetch(url, { method: route.method, headers, body: r.body, signal: AbortSignal.timeout(20_000) });
  const text = await res.text();
  timeline.push([started, Date.now(), `${route.method} ${r.path} → ${res.status}`]);
  stats.byStatus.set(res.status, (stats.byStatus.get(res.status) ?? 0) + 1);
  if (res.status >= 500) stats.fiveXx++;
  return { status: res.status, type: res.headers.get('content-type') ?? '', text };
}

/** What every answer must be: below 500; a 4xx is the envelope (or, on /mcp, a JSON-RPC error); /mcp never -32603. */
function checkAnswer(route: (typeof API_ROUTES)[number], res: Awaited<ReturnType<typeof send>>) {
  const why = `${res.status} ${res.text.slice(0, 500)}\n${api.errors.slice(-5).join('\n')}`;
  expect(res.status, why).toBeLessThan(500);
  const mcp = route.path.startsWith('/mcp');
  if (mcp) expect(res.text, why).not.toMatch(/"code":\s*-32603/);
  if (res.status < 400) return;
  expect(res.type, why).toMatch(/application\/json/);
  const body = JSON.parse(res.text) as {
    error?: { code?: unknown; message?: unknown; details?: unknown };
    jsonrpc?: string;
  };
  expect(typeof body.error?.message, why).toBe('string');
  if (mcp && body.jsonrpc === '2.0') expect(typeof body.error?.code, why).toBe('number');
  else expect([typeof body.error?.code, typeof body.error?.details], why).toEqual(['string', 'object']);
}

describe('fuzzing the API', () => {
  it('covers every route the app declares', () => {
    const declared = appRoutes(platform.app).map((r) => `${r.method} ${r.path}`);
    const listed = API_ROUTES.map((r) => `${r.method} ${r.path}`);
    // (The 405 answers of /mcp for other methods are router.all, which names no method.)
    expect(declared.filter((d) => !listed.includes(d))).toEqual([]);
    expect(listed.filter((d) => !declared.includes(d))).toEqual([]);
  });

  it(`never answers 5xx, always the envelope, and keeps /healthz under ${HEALTH_BUDGET_MS} ms (seed ${SEED}, ${RUNS} runs a route)`, async () => {
    const stopWatching = watchHealth(`${api.url}/healthz`, { reportOverMs: HEALTH_BUDGET_MS / 2 });
    try {
      for (const [i, route] of API_ROUTES.entries()) {
        await fc.assert(
          fc.asyncProperty(requestArb(route, targets), async (r) => checkAnswer(route, await send(route, r))),
          {
            seed: SEED + i,
            numRuns: RUNS * (route.method === 'POST' ? (RUNS_FACTOR[route.path] ?? 1) : 1),
            endOnFailure: true,
          },
        );
      }
      // Paths no route claims, with every method.
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
          fc.webPath(),
          async (method, path) => {
            const route = { method: method as 'GET', path: `/v1${path}` };
            checkAnswer(route, await send(route, { role: 'admin', path: route.path, query: '', headers: {} }));
          },
        ),
        { seed: SEED, numRuns: RUNS },
      );
    } finally {
      const health = await stopWatching();
      console.log(
        `[fuzz] /healthz: ${health.polls} polls, slowest ${health.slowest.toFixed(1)} ms, ${health.failures} failed`,
      );
      for (const [at, took] of health.slow) {
        const during = timeline.filter(([from, to]) => to >= at && from <= at + took).map(([, , what]) => what);
        console.log(`[fuzz] /healthz took ${took.toFixed(1)} ms while: ${during.join(' | ') || '(no request)'}`);
      }
      expect(health.failures).toBe(0);
      expect(health.slowest).toBeLessThan(HEALTH_BUDGET_MS);
    }
    expect(stats.fiveXx).toBe(0);
  }, 300_000);

  it('leaves no invocation or approval stuck: each ends or can be cancelled', async () => {
    const db = platform.db;
    const open = () =>
      db('invocations')
        .where({ org_id: org.org.id })
        .whereNotIn('status', TERMINAL_INVOCATION_STATUSES)
        .select('id', 'status');
    for (const inv of await open()) {
      const r = await call(`${api.url}/v1/invocations/${inv.id}/cancel`, { method: 'POST', key: org.adminKey });
      expect([200, 202, 409], r.text).toContain(r.status);
    }
    for (const a of await db('approvals')
      .where({ org_id: org.org.id, status: 'pending' })
      .whereNull('invocation_id')
      .select('workflow_id')) {
      await platform.client.workflow.getHandle(a.workflow_id).cancel();
    }
    const unended = async (): Promise<unknown[]> => [
      ...(await open()),
      ...(await db('approvals').where({ org_id: org.org.id, status: 'pending' }).select('id', 'subject_type')),
    ];
    expect(
      await waitFor(unended, (left) => left.length === 0, {
        what: 'every fuzzed invocation and approval to end',
        timeoutMs: 30_000,
        intervalMs: 250,
      }),
    ).toEqual([]);
    console.log(
      `[fuzz] ${(await db('invocations').where({ org_id: org.org.id }).count('* as n'))[0]!.n} invocations and ${(await db('approvals').where({ org_id: org.org.id }).count('* as n'))[0]!.n} approvals, all ended`,
    );
  }, 60_000);
});
