import type { Knex } from 'knex';
import { isTerminalInvocation, type InvokeInput } from '../../contracts/invocation.contract.js';
import { pipelineStepKey, type PipelineStage, type PipelineToolStep } from '../../contracts/pipeline.contract.js';
import { AgentRepository, type AgentWithCapabilities } from '../db/agent.repository.js';
import { McpServerRepository } from '../db/mcp-server.repository.js';
import { PipelineRepository } from '../db/pipeline.repository.js';
import type { PipelineRow } from '../db/rows.js';
import { SandboxRepository } from '../db/sandbox.repository.js';
import { InvocationRecorder, invokeInputOf } from '../invocations/invocation-recorder.js';
import type { PolicyEngine } from '../policy/engine.js';
import { PlanSchema, ProjectSchema, type Plan } from './pipeline.schemas.js';
import { deploysPerFile, fillDeployInput, STEP_TOOLS, stepInput } from './step-inputs.js';

export interface StepRequest {
  pipelineId: string;
  step: PipelineToolStep;
  attempt: number;
  /** Which of the deploy's invocations (one per file when its input names a file); 0 otherwise. */
  index: number;
  /** How long an approval the invocation's policy asks for may wait (ms). */
  approvalTimeoutMs: number;
  /** What the notify step reports. */
  outcome?: string;
}

/** What the workflow does next with a step: nothing (skipped, or already ended), or run the child invocation. */
export type StepRecording =
  | { kind: 'skipped'; reason: string }
  | { kind: 'ended'; invocationId: string; status: string }
  | { kind: 'invoke'; invocationId: string; workflowId: string; input: InvokeInput; of: number };

export const STEP_STAGE: Record<PipelineToolStep, PipelineStage> = {
  jira_epic: 'plan',
  confluence_page: 'plan',
  slack_plan: 'plan',
  deploy: 'deploy',
  notify: 'notify',
};

/** The name a step's record and idempotency key carry (the deploy's per-file invocations are numbered). */
export const stepName = (step: PipelineToolStep, index: number) => (step === 'deploy' ? `deploy-${index}` : step);

/**
 * A pipeline's governed tool steps. Each is recorded as an invocation through the same code the REST door
 * uses (InvocationRecorder: schema, sandbox, policy forecast, admission), for the pipeline's requester,
 * under the idempotency key `pipeline-<id>-<step>`, so a repeated activity finds the row it wrote.
 */
export class PipelineSteps {
  private readonly pipelines: PipelineRepository;
  private readonly agents: AgentRepository;
  private readonly servers: McpServerRepository;
  private readonly sandboxes: SandboxRepository;
  private readonly recorder: InvocationRecorder;

  constructor(db: Knex, policy?: PolicyEngine) {
    this.pipelines = new PipelineRepository(db);
    this.agents = new AgentRepository(db);
    this.servers = new McpServerRepository(db);
    this.sandboxes = new SandboxRepository(db);
    this.recorder = new InvocationRecorder(db, policy);
  }

  async record(req: StepRequest): Promise<StepRecording> {
    const row = await this.pipelines.getById(req.pipelineId);
    const agent = await this.agents.get(row.org_id, row.agent_id);
    const name = stepName(req.step, req.index);
    const stage = STEP_STAGE[req.step];
    const planned = await this.plannedInput(row, agent, req);
    if ('skipped' in planned) {
      await this.pipelines.putStep(row.id, stage, name, { status: 'skipped', reason: planned.skipped });
      return { kind: 'skipped', reason: planned.skipped };
    }
    const sandbox = await this.sandboxFor(row, agent, planned.capability);
    if (sandbox && 'skipped' in sandbox) {
      await this.pipelines.putStep(row.id, stage, name, { status: 'skipped', reason: sandbox.skipped });
      return { kind: 'skipped', reason: sandbox.skipped };
    }
    const { row: inv } = await this.recorder.record(
      { orgId: row.org_id, userId: row.requested_by, keyId: `pipeline:${row.id}` },
      {
        agentId: row.agent_id,
        capability: planned.capability,
        input: planned.input,
        idempotencyKey: pipelineStepKey(row.id, name, req.attempt),
        sandboxId: sandbox?.sandboxId ?? null,
      },
      { pipelineId: row.id },
    );
    await this.pipelines.putStep(row.id, stage, name, {
      status: 'running',
      capability: planned.capability,
      invocationId: inv.id,
    });
    if (isTerminalInvocation(inv.status)) return { kind: 'ended', invocationId: inv.id, status: inv.status };
    return {
      kind: 'invoke',
      invocationId: inv.id,
      workflowId: inv.workflow_id,
      input: invokeInputOf(inv, req.approvalTimeoutMs),
      of: planned.of,
    };
  }

  /** The capability and input of a step, or why it is skipped. */
  private async plannedInput(
    row: PipelineRow,
    agent: AgentWithCapabilities,
    req: StepRequest,
  ): Promise<{ capability: string; input: Record<string, unknown>; of: number } | { skipped: string }> {
    const plan = await this.plan(row);
    if (req.step === 'deploy') {
      const target = row.deploy_target;
      if (!target) return { skipped: 'no deployTarget was given' };
      const template = target.input ?? {};
      const values = { pipelineId: row.id, summary: plan?.title ?? '' };
      if (!deploysPerFile(template))
        return { capability: target.capability, input: fillDeployInput(template, values), of: 1 };
      const files = await this.pipelines.artifactsOf(row.id, 'file');
      const file = files[req.index];
      if (!file) return { skipped: 'the code stage wrote no files' };
      return { capability: target.capability, input: fillDeployInput(template, { ...values, file }), of: files.length };
    }
    const capability = await this.capabilityFor(row, agent, req.step);
    if (capability.skipped !== undefined) return { skipped: capability.skipped };
    const ctx = {
      pipelineId: row.id,
      project: ProjectSchema.parse(row.project),
      requirements: row.requirements,
      plan,
      outcome: req.outcome,
    };
    const input = stepInput(req.step, ctx);
    return 'skipped' in input ? input : { capability: capability.name!, input: input.input, of: 1 };
  }

  /** The capability the request named for the step, or the agent's one bound to the step's integration tool. */
  private async capabilityFor(
    row: PipelineRow,
    agent: AgentWithCapabilities,
    step: Exclude<PipelineToolStep, 'deploy'>,
  ): Promise<{ name: string; skipped?: undefined } | { name?: undefined; skipped: string }> {
    const named = row.capabilities[step];
    if (named) {
      return agent.capabilities.some((c) => c.name === named)
        ? { name: named }
        : { skipped: `the agent has no capability "${named}"` };
    }
    const { integration, tool } = STEP_TOOLS[step];
    const servers = await this.servers.list(row.org_id);
    const ids = new Set(servers.filter((s) => s.template === integration).map((s) => s.id));
    const cap = agent.capabilities.find((c) => c.tool === tool && ids.has(c.server_id));
    return cap ? { name: cap.name } : { skipped: `the agent has no capability bound to ${integration} ${tool}` };
  }

  /**
   * The pipeline's sandbox that stands in for the target the capability's server fronts. A pipeline given
   * sandboxes is a rehearsal: a step none of them stands in for is skipped, never run on the real system.
   */
  private async sandboxFor(
    row: PipelineRow,
    agent: AgentWithCapabilities,
    capability: string,
  ): Promise<{ sandboxId: string } | { skipped: string } | null> {
    if (row.sandbox_ids.length === 0) return null;
    const cap = agent.capabilities.find((c) => c.name === capability);
    const server = cap ? await this.servers.get(row.org_id, cap.server_id) : undefined;
    for (const id of row.sandbox_ids) {
      const sandbox = await this.sandboxes.get(row.org_id, id);
      if (server?.sandbox_target && sandbox.target === server.sandbox_target) return { sandboxId: sandbox.id };
    }
    return {
      skipped: `none of the pipeline's sandboxes stands in for ${server?.sandbox_target ?? `server ${server?.name ?? '?'}`} (capability "${capability}"): a rehearsal never calls the real system`,
    };
  }

  private async plan(row: PipelineRow): Promise<Plan | undefined> {
    const [artifact] = await this.pipelines.artifactsOf(row.id, 'plan');
    return artifact ? PlanSchema.parse(JSON.parse(artifact.content)) : undefined;
  }
}
