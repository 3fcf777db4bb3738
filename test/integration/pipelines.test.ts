// Pipelines end to end on the real components: the API, Temporal, the worker, PostgreSQL, the real
// @ai-sdk client against the LLM wire server (a provider registered over the API), and the agent's
// governed steps in sandboxes: emulated Jira, mock Slack and moto for S3. Four eyes at the deploy gate,
// a denial, a retry and a cancel; 409 llm_not_configured before any provider.
import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startLlmWireServer, type LlmWireServer } from '../helpers/llm-wire-server.js';
import { pipelineUntil, registerWireProvider, scriptStages, stageOf } from '../helpers/pipelines.js';
import { startPlatform, userWithRole } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

let platform: Awaited<ReturnType<typeof startPlatform>>;
let wire: LlmWireServer;
let org: Awaited<ReturnType<typeof createOrg>>;
let developer: string;
let approver: string;
let agentId: string;
let label: string;
const sandboxes: Record<string, { id: string; endpoints: Record<string, string> }> = {};
const bucket = `pipe-${randomUUID().slice(0, 8)}`;
const MOTO = { region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };

const url = () => platform.url;
const post = (path: string, key: string, json: unknown = {}) => call(`${url()}${path}`, { method: 'POST', key, json });

beforeAll(async () => {
  wire = await startLlmWireServer();
  platform = await startPlatform({ sandboxes: { idleMs: 600_000 } });
  org = await createOrg(platform.db, 'pipelines');
  developer = (await userWithRole(platform.db, org.org.id, 'developer')).key;
  approver = (await userWithRole(platform.db, org.org.id, 'approver')).key;
  for (const integration of ['jira', 'slack', 'aws']) {
    const server = await post('/v1/mcp-servers?wait=60', org.adminKey, {
      name: integration,
      template: integration,
      config: {},
    });
    expect(server.json, server.text).toMatchObject({ status: 'healthy' });
  }
  const cap = (name: string, server: string, tool = name) => ({ name, server, tool, risk: 'low' });
  const agent = await post('/v1/agents', org.adminKey, {
    name: 'delivery',
    capabilities: [
      cap('file_epic', 'jira', 'create_issue'),
      cap('search_issues', 'jira'),
      cap('post_message', 'slack'),
      cap('put_object', 'aws'),
    ],
  });
  expect(agent.status, agent.text).toBe(201);
  agentId = agent.json.id;
  const modes = { jira: 'emulated', slack: 'mock', aws: 'emulated' } as const;
  for (const [target, mode] of Object.entries(modes)) {
    const made = await post(`/v1/agents/${agentId}/sandboxes`, developer, { target, mode });
    expect(made.status, made.text).toBe(201);
    const running = await waitFor(
      async () => (await call(`${url()}/v1/sandboxes/${made.json.id}`, { key: developer })).json,
      (s) => s.status === 'running' || s.status === 'failed',
      { what: `${target} sandbox`, timeoutMs: 180_000 },
    );
    expect(running.status, JSON.stringify(running)).toBe('running');
    sandboxes[target] = { id: made.json.id, endpoints: running.endpoints ?? {} };
  }
  await new S3Client({ ...MOTO, endpoint: sandboxes.aws!.endpoints.s3, forcePathStyle: true }).send(
    new CreateBucketCommand({ Bucket: bucket }),
  );
}, 400_000);
afterAll(async () => {
  await platform?.stop();
  await wire?.close();
});

const request = () => ({
  agentId,
  requirements: 'A status page that says whether the service is up.',
  project: { name: 'Status', jiraProjectKey: 'DEMO', confluenceSpaceKey: 'DOCS', slackChannel: 'C1H9RESGL' },
  deployTarget: { capability: 'put_object', input: { bucket, key: 'site/{{path}}', text: '{{content}}' } },
  sandboxIds: Object.values(sandboxes).map((s) => s.id),
});
const pendingApproval = (id: string) =>
  pipelineUntil(url(), developer, id, (p) => p.status === 'pending_approval' && p.approvalId, 'the deploy gate');

describe('pipelines', () => {
  it('answers 409 llm_not_configured, naming what to set, before any provider and starts nothing', async () => {
    const res = await post('/v1/pipelines', developer, request());
    expect(res.status, res.text).toBe(409);
    expect(res.json.error.code).toBe('llm_not_configured');
    expect(res.json.error.message).toContain('POST /v1/llm/providers');
    expect(await platform.db('pipelines').where({ org_id: org.org.id })).toHaveLength(0);
    label = await registerWireProvider(url(), org.adminKey, wire);
  });

  it('rejects bad requests before anything starts: unknown deploy capability, foreign sandbox, unsafe project', async () => {
    const noCap = await post('/v1/pipelines', developer, { ...request(), deployTarget: { capability: 'nope' } });
    expect(noCap.status, noCap.text).toBe(400);
    expect(noCap.json.error.code).toBe('unknown_capability');
    const foreign = await post('/v1/pipelines', developer, { ...request(), sandboxIds: [randomUUID()] });
    expect(foreign.status).toBe(404);
    const huge = await post('/v1/pipelines', developer, { ...request(), requirements: 'x'.repeat(20_001) });
    expect(huge.status).toBe(400);
    const badKey = await post('/v1/pipelines', developer, {
      ...request(),
      project: { name: 'x', jiraProjectKey: '../x' },
    });
    expect(badKey.status).toBe(400);
  });

  it('runs plan → Jira epic and Slack post → architect → code → four-eyes gate → S3 deploy per file → notify', async () => {
    const seen = scriptStages(wire, label);
    const created = await post('/v1/pipelines', developer, request());
    expect(created.status, created.text).toBe(202);
    const id = created.json.pipelineId as string;
    const gate = await pendingApproval(id);
    const approval = await call(`${url()}${gate.links.approval}`, { key: developer });
    expect(approval.json).toMatchObject({
      subjectType: 'pipeline_deploy',
      subjectId: id,
      context: {
        plan: { title: 'Status page' },
        design: 'One HTML page and one script.',
        diff: { files: 2, lines: 4, paths: ['index.html', 'src/status.js'] },
      },
    });
    // Four eyes: the requester may not approve their own deploy.
    const own = await post(`/v1/approvals/${gate.approvalId}/approve`, developer);
    expect(own.status, own.text).toBe(403);
    expect(own.json.error.code).toBe('self_approval');
    const ok = await post(`/v1/approvals/${gate.approvalId}/approve`, approver);
    expect(ok.status, ok.text).toBe(200);

    const done = await pipelineUntil(
      url(),
      developer,
      id,
      (p) => ['succeeded', 'failed'].includes(p.status),
      'the end',
    );
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    for (const stage of ['plan', 'architect', 'code', 'approval', 'deploy', 'notify'])
      expect(done.stages[stage], stage).toMatchObject({
        status: 'succeeded',
        attempts: 1,
        durationMs: expect.any(Number),
      });
    for (const stage of ['plan', 'architect', 'code']) {
      expect(done.stages[stage].llmCalls).toBe(1);
      expect(done.stages[stage].costUsd).toBeGreaterThan(0);
    }
    expect(done.costUsd).toBeCloseTo(
      ['plan', 'architect', 'code'].reduce((n, s) => n + done.stages[s].costUsd, 0),
      6,
    );
    expect(done.stages.plan.steps.confluence_page).toMatchObject({
      status: 'skipped',
      reason: expect.stringContaining('confluence'),
    });
    expect(seen).toEqual({ plan: 1, architect: 1, code: 1 });
    // The code stage, the long answer, is streamed (SSE); plan and design are single answers.
    const streamed = wire.requestsFor(label).map((r) => [stageOf(r), r.stream]);
    expect(streamed).toEqual([
      ['plan', false],
      ['architect', false],
      ['code', true],
    ]);

    const byCap = (c: string) => done.invocations.filter((i: { capability: string }) => i.capability === c);
    expect(byCap('file_epic')).toMatchObject([{ status: 'succeeded', idempotencyKey: `pipeline-${id}-jira_epic` }]);
    expect(byCap('post_message').map((i: { status: string }) => i.status)).toEqual(['succeeded', 'succeeded']);
    expect(byCap('put_object')).toHaveLength(2);
    expect(
      done.invocations.every((i: { sandboxId: string }) => Object.values(sandboxes).some((s) => s.id === i.sandboxId)),
    ).toBe(true);

    // The artifacts, their paths made safe, and the files as deployed to the emulated S3.
    expect(done.artifacts.map((a: { path: string }) => a.path).sort()).toEqual([
      'design.json',
      'index.html',
      'plan.json',
      'src/status.js',
    ]);
    const script = done.artifacts.find((a: { path: string }) => a.path === 'src/status.js');
    const content = await call(`${url()}${script.links.self}`, { key: developer });
    expect(content.json).toMatchObject({ kind: 'file', stage: 'code', content: "document.title = 'ok';\n" });
    const s3 = new S3Client({ ...MOTO, endpoint: sandboxes.aws!.endpoints.s3, forcePathStyle: true });
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'site/src/status.js' }));
    expect(await object.Body!.transformToString()).toBe("document.title = 'ok';\n");

    // One epic in the emulated Jira, filed once.
    const search = await post(`/v1/agents/${agentId}/invoke?wait=60`, developer, {
      capability: 'search_issues',
      input: { jql: 'project = DEMO AND issuetype = Epic' },
      sandboxId: sandboxes.jira!.id,
    });
    expect(search.json.result.structuredContent.issues, search.text).toHaveLength(1);

    // Prompts and completions (the plan, the design, the code) are in the workflow's history only encrypted.
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    const history = await new Client({ connection }).workflow.getHandle(`pipeline-${id}`).fetchHistory();
    await connection.close();
    const bytes = Buffer.from(proto.temporal.api.history.v1.History.encode(history).finish());
    // The scan reads what the server stores: the workflow type is plaintext there by design.
    expect(bytes.includes('pipelineWorkflow')).toBe(true);
    for (const plain of ['Status page', 'One HTML page and one script.', "document.title = 'ok';"])
      expect(bytes.includes(plain), plain).toBe(false);

    const again = await post(`/v1/pipelines/${id}/retry`, developer);
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('pipeline_not_failed');
    const list = await call(`${url()}/v1/pipelines?limit=5`, { key: developer });
    expect(list.json.data.map((p: { pipelineId: string }) => p.pipelineId)).toContain(id);
  });

  it('fails the gate as approval_denied and deploys nothing; a retry opens a new gate, and cancel ends it', async () => {
    scriptStages(wire, label);
    const created = await post('/v1/pipelines', developer, { ...request(), project: { name: 'Denied' } });
    expect(created.status, created.text).toBe(202);
    const id = created.json.pipelineId as string;
    const first = await pendingApproval(id);
    const no = await call(`${url()}/v1/approvals/${first.approvalId}/deny`, {
      method: 'POST',
      key: approver,
      json: { comment: 'not now' },
    });
    expect(no.status, no.text).toBe(200);
    const failed = await pipelineUntil(url(), developer, id, (p) => p.status === 'failed', 'the denial');
    expect(failed.error).toMatchObject({ code: 'approval_denied', message: 'not now', details: { stage: 'approval' } });
    expect(failed.stages.approval).toMatchObject({ status: 'failed', error: { code: 'approval_denied' } });
    expect(failed.stages.deploy.status).toBe('pending');
    expect(failed.invocations.filter((i: { capability: string }) => i.capability === 'put_object')).toEqual([]);
    // The project names no Jira or Slack: those steps were skipped, and nothing before the gate runs again.
    expect(failed.stages.plan.steps.jira_epic.status).toBe('skipped');

    const retried = await post(`/v1/pipelines/${id}/retry`, developer);
    expect(retried.status, retried.text).toBe(202);
    // The update answers once the pipeline runs again.
    expect(['running', 'pending_approval']).toContain(retried.json.status);
    const second = await pipelineUntil(
      url(),
      developer,
      id,
      (p) => p.status === 'pending_approval' && p.approvalId && p.approvalId !== first.approvalId,
      'a second gate',
    );
    expect(second.stages.approval.attempts).toBe(2);
    expect(second.stages.code.attempts).toBe(1);

    const viewer = (await userWithRole(platform.db, org.org.id, 'viewer')).key;
    expect((await post(`/v1/pipelines/${id}/cancel`, viewer)).status).toBe(403);
    const cancelled = await post(`/v1/pipelines/${id}/cancel`, developer);
    expect(cancelled.status, cancelled.text).toBe(200);
    const ended = await pipelineUntil(url(), developer, id, (p) => p.status === 'cancelled', 'the cancel');
    expect(ended.stages.approval.status).toBe('cancelled');
    const gate = await call(`${url()}/v1/approvals/${second.approvalId}`, { key: developer });
    expect(gate.json.status).toBe('cancelled');
    expect((await post(`/v1/pipelines/${id}/cancel`, developer)).status).toBe(409);
  });

  it('in a rehearsal, skips a step none of its sandboxes stands in for rather than call the real system', async () => {
    scriptStages(wire, label);
    // Jira's and S3's sandboxes only: Slack's real server (no credential here) must not be called.
    const created = await post('/v1/pipelines', developer, {
      ...request(),
      deployTarget: undefined,
      sandboxIds: [sandboxes.jira!.id, sandboxes.aws!.id],
    });
    expect(created.status, created.text).toBe(202);
    const id = created.json.pipelineId as string;
    const done = await pipelineUntil(
      url(),
      developer,
      id,
      (p) => ['succeeded', 'failed'].includes(p.status),
      'the end',
    );
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.stages.plan.steps.slack_plan).toMatchObject({
      status: 'skipped',
      reason: expect.stringContaining('a rehearsal never calls the real system'),
    });
    expect(done.stages.plan.steps.jira_epic.status).toBe('succeeded');
    expect(done.invocations.map((i: { capability: string }) => i.capability)).toEqual(['file_epic']);
    expect(done.invocations[0].sandboxId).toBe(sandboxes.jira!.id);
  });
});
