import type { Knex } from 'knex';
import type { PipelineStage, PipelineStatus } from '../../contracts/pipeline.contract.js';
import { notFound } from '../errors.js';
import { newestFirst, type Page } from './page.js';
import type { PipelineArtifactRow, PipelineRow, PipelineStageRecord, PipelineStepRecord } from './rows.js';

export type NewPipeline = Pick<
  PipelineRow,
  | 'id'
  | 'org_id'
  | 'agent_id'
  | 'requested_by'
  | 'requirements'
  | 'project'
  | 'deploy_target'
  | 'sandbox_ids'
  | 'capabilities'
  | 'stages'
  | 'workflow_id'
>;
export type NewArtifact = Pick<PipelineArtifactRow, 'stage' | 'kind' | 'path' | 'content' | 'sha256' | 'bytes'>;
/** An artifact without its content: what lists show. */
export type ArtifactSummary = Omit<PipelineArtifactRow, 'content'>;

const SUMMARY_COLUMNS = ['id', 'pipeline_id', 'org_id', 'stage', 'kind', 'path', 'sha256', 'bytes', 'created_at'];

/** pipelines and pipeline_artifacts: the read model pipelineWorkflow's activities keep current. */
export class PipelineRepository {
  constructor(private readonly db: Knex) {}

  async create(row: NewPipeline): Promise<PipelineRow> {
    const [created] = await this.db<PipelineRow>('pipelines')
      .insert({
        ...row,
        status: 'running',
        project: JSON.stringify(row.project) as never,
        deploy_target: (row.deploy_target ? JSON.stringify(row.deploy_target) : null) as never,
        capabilities: JSON.stringify(row.capabilities) as never,
        stages: JSON.stringify(row.stages) as never,
      })
      .returning('*');
    return created!;
  }

  async get(orgId: string, id: string): Promise<PipelineRow> {
    const row = await this.db<PipelineRow>('pipelines').where({ org_id: orgId, id }).first();
    if (!row) throw notFound('pipeline', id);
    return row;
  }

  /** By id alone: for activities, which act for the workflow, not for a caller. */
  async getById(id: string): Promise<PipelineRow> {
    const row = await this.db<PipelineRow>('pipelines').where({ id }).first();
    if (!row) throw notFound('pipeline', id);
    return row;
  }

  list(orgId: string, filter: { agentId?: string; status?: PipelineStatus; limit: number; cursor?: string }) {
    const q = this.db<PipelineRow>('pipelines').where({ org_id: orgId });
    if (filter.agentId) q.andWhere({ agent_id: filter.agentId });
    if (filter.status) q.andWhere({ status: filter.status });
    return newestFirst<PipelineRow>(q, 'seq', filter.limit, filter.cursor) as Promise<Page<PipelineRow>>;
  }

  async update(
    id: string,
    patch: Partial<Pick<PipelineRow, 'status' | 'error' | 'approval_id' | 'cancel_requested_by' | 'completed_at'>>,
  ) {
    await this.db('pipelines')
      .where({ id })
      .update({
        ...patch,
        ...(patch.error !== undefined ? { error: patch.error === null ? null : JSON.stringify(patch.error) } : {}),
        updated_at: this.db.fn.now(),
      });
  }

  /** Merges `patch` into one stage's record (one statement: concurrent writers of other keys keep theirs). */
  async patchStage(id: string, stage: PipelineStage, patch: Partial<PipelineStageRecord>): Promise<void> {
    await this.db('pipelines')
      .where({ id })
      .update({
        stages: this.db.raw(`jsonb_set(stages, ?::text[], (stages -> ?) || ?::jsonb)`, [
          `{${stage}}`,
          stage,
          JSON.stringify(patch),
        ]),
        updated_at: this.db.fn.now(),
      });
  }

  /** Writes one tool step's record under its stage. */
  async putStep(id: string, stage: PipelineStage, step: string, record: PipelineStepRecord): Promise<void> {
    await this.db('pipelines')
      .where({ id })
      .update({
        stages: this.db.raw(`jsonb_set(stages, ?::text[], ?::jsonb)`, [
          `{${stage},steps,${step}}`,
          JSON.stringify(record),
        ]),
        updated_at: this.db.fn.now(),
      });
  }

  /** Adds an LLM call's cost to its stage and the pipeline once per call id (a repeated activity adds nothing). */
  async addCost(id: string, stage: PipelineStage, callId: string, costUsd: number): Promise<void> {
    await this.db('pipelines')
      .where({ id })
      .whereRaw(`not jsonb_exists(coalesce(stages -> ? -> 'llmCalls', '[]'::jsonb), ?)`, [stage, callId])
      .update({
        stages: this.db.raw(
          `jsonb_set(jsonb_set(stages, ?::text[], to_jsonb(coalesce((stages -> ? ->> 'costUsd')::numeric, 0) + ?::numeric)),
             ?::text[], coalesce(stages -> ? -> 'llmCalls', '[]'::jsonb) || to_jsonb(?::text))`,
          [`{${stage},costUsd}`, stage, costUsd, `{${stage},llmCalls}`, stage, callId],
        ),
        cost_usd: this.db.raw('cost_usd + ?::numeric', [costUsd]),
        updated_at: this.db.fn.now(),
      });
  }

  /**
   * Records the approval the deploy gate waits for and marks the pipeline pending_approval. Written in the
   * transaction that opens the approval row (core/approvals/approval-records.ts), so whoever sees the status finds it.
   */
  async markPendingApproval(id: string, approvalId: string): Promise<void> {
    await this.db('pipelines')
      .where({ id, status: 'running' })
      .update({ status: 'pending_approval', approval_id: approvalId, updated_at: this.db.fn.now() });
  }

  /** Inserts artifacts; one already written at its (stage, path) stays as it is. */
  async addArtifacts(pipelineId: string, orgId: string, artifacts: NewArtifact[]): Promise<void> {
    if (artifacts.length === 0) return;
    await this.db('pipeline_artifacts')
      .insert(artifacts.map((a) => ({ ...a, pipeline_id: pipelineId, org_id: orgId })))
      .onConflict(['pipeline_id', 'stage', 'path'])
      .ignore();
  }

  artifacts(pipelineId: string): Promise<ArtifactSummary[]> {
    return this.db('pipeline_artifacts')
      .where({ pipeline_id: pipelineId })
      .orderBy([{ column: 'created_at' }, { column: 'path' }])
      .select(SUMMARY_COLUMNS);
  }

  /** An artifact with its content, from one stage by kind, for the stages that read what earlier ones wrote. */
  artifactsOf(pipelineId: string, kind: PipelineArtifactRow['kind']): Promise<PipelineArtifactRow[]> {
    return this.db<PipelineArtifactRow>('pipeline_artifacts').where({ pipeline_id: pipelineId, kind }).orderBy('path');
  }

  async artifact(orgId: string, pipelineId: string, artifactId: string): Promise<PipelineArtifactRow> {
    const row = await this.db<PipelineArtifactRow>('pipeline_artifacts')
      .where({ org_id: orgId, pipeline_id: pipelineId, id: artifactId })
      .first();
    if (!row) throw notFound('artifact', artifactId);
    return row;
  }
}
