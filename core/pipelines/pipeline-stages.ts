import type { Knex } from 'knex';
import type { z } from 'zod';
import type { PipelineStage } from '../../contracts/pipeline.contract.js';
import { PipelineRepository } from '../db/pipeline.repository.js';
import type { PipelineArtifactRow, PipelineRow } from '../db/rows.js';
import { AppError } from '../errors.js';
import type { LlmGateway, LlmMessage } from '../llm/llm-gateway.js';
import { diffSummary, generatedFiles, sha256, type DiffSummary } from './generated-files.js';
import {
  ARCHITECT_SYSTEM,
  architectMessages,
  CODE_SYSTEM,
  codeMessages,
  PLAN_SYSTEM,
  planMessages,
} from './pipeline-prompts.js';
import { CodeSchema, DesignSchema, PlanSchema, ProjectSchema, type Design, type Plan } from './pipeline.schemas.js';

/** What a stage's attempt is: the pipeline and which try of the stage this is (1 first). */
export interface StageAttempt {
  pipelineId: string;
  attempt: number;
  /** Aborts the LLM call (the activity was cancelled). */
  signal?: AbortSignal;
}

/** What the plan and architect stages answer the workflow (small: the documents are artifacts). */
export interface StageSummary {
  title?: string;
  summary: string;
}

/** The worker built without an LLM gateway: the same 409 an org without a provider gets. */
export const llmNotConfigured = () =>
  new AppError(
    'llm_not_configured',
    409,
    'No LLM provider is configured: add one with POST /v1/llm/providers {type, name, model, apiKey: "secret:NAME"}',
  );

/**
 * The pipeline's LLM stages: plan, architect and code. Each calls the gateway with a zod schema (the
 * output is validated there), stores what it wrote as artifacts (once per path) and adds the call's cost
 * to its stage once per call id, so a repeated activity neither pays nor writes twice.
 */
export class PipelineStages {
  private readonly pipelines: PipelineRepository;

  constructor(
    db: Knex,
    private readonly llm?: LlmGateway,
  ) {
    this.pipelines = new PipelineRepository(db);
  }

  async plan({ pipelineId, attempt, signal }: StageAttempt): Promise<StageSummary> {
    const row = await this.pipelines.getById(pipelineId);
    const plan = await this.generate(
      row,
      'plan',
      attempt,
      signal,
      PlanSchema,
      PLAN_SYSTEM,
      planMessages(row.requirements, project(row)),
    );
    await this.store(row, 'plan', [document('plan', 'plan.json', plan)]);
    return { title: plan.title, summary: plan.summary };
  }

  async architect({ pipelineId, attempt, signal }: StageAttempt): Promise<StageSummary> {
    const row = await this.pipelines.getById(pipelineId);
    const plan = await this.read(row, 'plan', PlanSchema);
    const messages = architectMessages(row.requirements, project(row), plan);
    const design = await this.generate(row, 'architect', attempt, signal, DesignSchema, ARCHITECT_SYSTEM, messages);
    await this.store(row, 'architect', [document('design', 'design.json', design)]);
    return { summary: design.summary };
  }

  /** Writes the files; answers what the approval shows of them. */
  async code({ pipelineId, attempt, signal }: StageAttempt): Promise<DiffSummary> {
    const row = await this.pipelines.getById(pipelineId);
    const plan = await this.read(row, 'plan', PlanSchema);
    const design: Design = await this.read(row, 'design', DesignSchema);
    const messages = codeMessages(row.requirements, project(row), plan, design);
    // The longest answer: streamed, so the provider's timeout measures silence rather than the whole answer.
    const code = await this.generate(row, 'code', attempt, signal, CodeSchema, CODE_SYSTEM, messages, 32_000, true);
    const files = generatedFiles(code.files);
    await this.store(
      row,
      'code',
      files.map((f) => ({ kind: 'file' as const, path: f.path, content: f.content, sha256: f.sha256, bytes: f.bytes })),
    );
    return diffSummary(files);
  }

  private async generate<T>(
    row: PipelineRow,
    stage: PipelineStage,
    attempt: number,
    signal: AbortSignal | undefined,
    schema: z.ZodType<T>,
    system: string,
    messages: LlmMessage[],
    maxOutputTokens = 8_000,
    stream = false,
  ): Promise<T> {
    if (!this.llm) throw llmNotConfigured();
    const result = await this.llm.generate({
      orgId: row.org_id,
      purpose: `pipeline.${stage}`,
      sourceId: `pipeline-${row.id}-${stage}-${attempt}`,
      system,
      messages,
      schema,
      schemaName: `pipeline_${stage}`,
      temperature: 0,
      maxOutputTokens,
      // A retried stage asks again rather than reading the answer that failed it.
      cache: attempt > 1 ? 'bypass' : 'auto',
      ...(signal ? { signal } : {}),
      ...(stream ? { stream } : {}),
    });
    await this.pipelines.addCost(row.id, stage, result.callId, result.costUsd);
    return result.object;
  }

  private store(row: PipelineRow, stage: PipelineStage, artifacts: Omit<ArtifactInput, 'stage'>[]) {
    return this.pipelines.addArtifacts(
      row.id,
      row.org_id,
      artifacts.map((a) => ({ ...a, stage })),
    );
  }

  /** An earlier stage's document, parsed again (it was validated when written; the schema keeps the type honest). */
  private async read<T>(row: PipelineRow, kind: 'plan' | 'design', schema: z.ZodType<T>): Promise<T> {
    const [artifact] = await this.pipelines.artifactsOf(row.id, kind);
    if (!artifact) throw new AppError('artifact_missing', 409, `The pipeline has no ${kind} yet`);
    return schema.parse(JSON.parse(artifact.content));
  }
}

type ArtifactInput = Pick<PipelineArtifactRow, 'stage' | 'kind' | 'path' | 'content' | 'sha256' | 'bytes'>;

function document(kind: 'plan' | 'design', path: string, value: Plan | Design): Omit<ArtifactInput, 'stage'> {
  const content = JSON.stringify(value, null, 2);
  return { kind, path, content, sha256: sha256(content), bytes: Buffer.byteLength(content, 'utf8') };
}

const project = (row: PipelineRow) => ProjectSchema.parse(row.project);
