// The servers a benchmark runs against, brought up with the same code as `npm start` and test/global-setup.ts:
// one in-memory Temporal dev server, one embedded PostgreSQL in a temp dir, the policy bundle and the
// Collexa workflow bundle (scripts/dev/run-stack.ts); plus our Streamable HTTP MCP test server (test/fixtures/mcp-http-server.ts).
import path from 'node:path';
import { freePort } from '../../scripts/dev/processes.js';
import { startRunStack } from '../../scripts/dev/run-stack.js';
import { launchMcpHttpFixture } from '../../test/fixtures/launch-mcp-http-server.js';
import { say, type Stoppable } from './harness.js';

/** Running servers and built bundles; stop() takes every process down. */
export interface BenchStack {
  temporalAddress: string;
  databaseUrl: string;
  policyDir: string;
  /** stripe-mock's base URL. */
  stripeApiBase: string;
  collexaBundle: { code: string };
  /** Process (group) ids of the servers, for CPU accounting. */
  pids: { temporal?: number; postgres?: number };
  stop(): Promise<void>;
}

/** Starts Temporal and PostgreSQL and builds both bundles in parallel; on any failure stops what did start. */
export async function startBenchStack(runDir: string): Promise<BenchStack> {
  const stack = await startRunStack(runDir, 'collexa_bench');
  return { ...stack, collexaBundle: stack.workflowBundle };
}

/** Our HTTP MCP test server as a child process on a free port. */
export async function startMcpFixture(runDir: string): Promise<{ url: string; pid?: number; stop(): Promise<void> }> {
  const port = await freePort();
  const proc = await launchMcpHttpFixture({ port, logFile: path.join(runDir, 'mcp-http-server.log') });
  return { url: `http://127.0.0.1:${port}/mcp`, pid: proc.child.pid, stop: () => proc.stop(5000) };
}

/** The stack and the MCP fixture most benches start first, each pushed onto `started` as it comes up. */
export async function startStackWithFixture(runDir: string, started: Stoppable[]) {
  say(`starting Temporal dev server and PostgreSQL, building bundles (temp dir ${runDir})`);
  const stack = await startBenchStack(runDir);
  started.push(stack);
  const fixture = await startMcpFixture(runDir);
  started.push(fixture);
  return { stack, fixture };
}
