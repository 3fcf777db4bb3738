// A worker SIGKILLed in the middle of a pipeline's code stage (its LLM request in flight): a new worker
// takes the stage over and the pipeline ends as if nothing happened, with no completed step repeated:
// the wire server saw one plan and one design request, the MCP server one call per deployed file.
// Real `npm run worker` processes, real Temporal and PostgreSQL, the real @ai-sdk client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLlmWireServer, type LlmWireServer } from '../helpers/llm-wire-server.js';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { pipelineUntil, registerWireProvider, scriptStages, stageOf } from '../helpers/pipelines.js';
import { createServerAndAgent, spawnWorkerProcess, startPlatform, userWithRole } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

let platform: Awaited<ReturnType<typeof startPlatform>>;
let wire: LlmWireServer;
let mcpHttp: HttpMcpServer;
const workers: ReturnType<typeof spawnWorkerProcess>[] = [];

beforeAll(async () => {
  [wire, mcpHttp] = await Promise.all([startLlmWireServer(), startHttpMcpServer()]);
  platform = await startPlatform({ worker: 'none' });
}, 120_000);
afterAll(async () => {
  for (const w of workers) w.child.kill('SIGKILL');
  await platform?.stop();
  await wire?.close();
  await mcpHttp?.stop();
});

async function worker() {
  const w = spawnWorkerProcess(platform.taskQueue);
  workers.push(w);
  await w.ready;
  return w;
}

describe('a worker killed mid-pipeline', () => {
  it('resumes the code stage on a new worker and repeats no completed step', async () => {
    const org = await createOrg(platform.db, 'pipeline-crash');
    const developer = (await userWithRole(platform.db, org.org.id, 'developer')).key;
    const approver = (await userWithRole(platform.db, org.org.id, 'approver')).key;
    const first = await worker();
    const { agentId } = await createServerAndAgent(
      platform.url,
      org.adminKey,
      { name: 'testhttp', transport: 'http', url: mcpHttp.url },
      { name: 'deployer', capabilities: [{ name: 'note', tool: 'record', risk: 'low' }] },
    );
    const label = await registerWireProvider(platform.url, org.adminKey, wire);
    // The first code request never answers: the worker is killed while it waits.
    const seen = scriptStages(wire, label, { code: (n) => (n === 1 ? { hang: true } : undefined) });

    const created = await call(`${platform.url}/v1/pipelines`, {
      method: 'POST',
      key: developer,
      json: {
        agentId,
        requirements: 'A status page.',
        project: { name: 'Crash' },
        deployTarget: { capability: 'note', input: { note: 'deploy {{pipelineId}} {{path}}' } },
      },
    });
    expect(created.status, created.text).toBe(202);
    const id = created.json.pipelineId as string;
    await waitFor(
      async () => wire.requestsFor(label).filter((r) => stageOf(r) === 'code').length,
      (n) => n >= 1,
      { what: 'the code request in flight', timeoutMs: 60_000 },
    );
    first.child.kill('SIGKILL');
    await first.exited;
    await worker();

    // The lost attempt is noticed by its heartbeat timeout; the stage runs on the new worker.
    const gate = await pipelineUntil(
      platform.url,
      developer,
      id,
      (p) => p.status === 'pending_approval',
      'the gate',
      150_000,
    );
    expect(gate.stages.code).toMatchObject({ status: 'succeeded', attempts: 1 });
    const ok = await call(`${platform.url}/v1/approvals/${gate.approvalId}/approve`, {
      method: 'POST',
      key: approver,
      json: {},
    });
    expect(ok.status, ok.text).toBe(200);
    const done = await pipelineUntil(
      platform.url,
      developer,
      id,
      (p) => ['succeeded', 'failed'].includes(p.status),
      'the end',
    );
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');

    expect(seen).toEqual({ plan: 1, architect: 1, code: 2 });
    // One code call recorded and paid for: the lost one never answered.
    expect(done.stages.code.llmCalls).toBe(1);
    const notes = (await mcpHttp.calls()).filter((c) => String(c.arguments.note).startsWith(`deploy ${id}`));
    expect(notes.map((c) => c.arguments.note).sort()).toEqual([
      `deploy ${id} index.html`,
      `deploy ${id} src/status.js`,
    ]);
    expect(done.invocations).toHaveLength(2);
  });
});
