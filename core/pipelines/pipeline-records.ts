import type { Knex } from 'knex';
import type { PipelineError, PipelineStage, PipelineStatus, StageStatus } from '../../contracts/pipeline.contract.js';
import { AuditRepository } from '../db/audit.repository.js';
import { PipelineRepository } from '../db/pipeline.repository.js';

export interface MarkStage {
  pipelineId: string;
  stage: PipelineStage;
  status: StageStatus;
  /** Which try of the stage (1 first): written when it starts running. */
  attempt?: number;
  error?: PipelineError;
}

export interface MarkStep {
  pipelineId: string;
  stage: PipelineStage;
  step: string;
  status: StageStatus;
  invocationId?: string;
  reason?: string;
}

const TERMINAL = new Set<PipelineStatus>(['succeeded', 'failed', 'cancelled']);

/**
 * The pipeline row's transitions as its workflow makes them: each stage's status, timings and attempts,
 * each step's, and the pipeline's own status (audited when it ends or fails). Every write sets a value
 * (never adds), so a repeated activity leaves the row as one write would.
 */
export class PipelineRecords {
  private readonly pipelines: PipelineRepository;

  constructor(private readonly db: Knex) {
    this.pipelines = new PipelineRepository(db);
  }

  async markStage({ pipelineId, stage, status, attempt, error }: MarkStage): Promise<void> {
    const now = new Date().toISOString();
    if (status === 'running') {
      await this.pipelines.patchStage(pipelineId, stage, {
        status,
        startedAt: now,
        endedAt: null,
        error: null,
        ...(attempt !== undefined ? { attempts: attempt } : {}),
      });
      return;
    }
    await this.pipelines.patchStage(pipelineId, stage, { status, endedAt: now, error: error ?? null });
  }

  async markStep({ pipelineId, stage, step, status, invocationId, reason }: MarkStep): Promise<void> {
    const row = await this.pipelines.getById(pipelineId);
    const before = row.stages[stage]?.steps?.[step] ?? {};
    await this.pipelines.putStep(pipelineId, stage, step, {
      ...before,
      status,
      ...(invocationId ? { invocationId } : {}),
      ...(reason ? { reason } : {}),
    });
  }

  /** The pipeline's status; a final one (or a failure) is audited, a cancel naming who asked for it. */
  async markPipeline({
    pipelineId,
    status,
    error,
  }: {
    pipelineId: string;
    status: PipelineStatus;
    error?: PipelineError;
  }): Promise<void> {
    await this.db.transaction(async (trx: Knex) => {
      const repo = new PipelineRepository(trx);
      const row = await repo.getById(pipelineId);
      await repo.update(pipelineId, {
        status,
        error: error ?? null,
        completed_at: TERMINAL.has(status) ? new Date() : null,
      });
      if (status === 'running' || status === 'pending_approval' || row.status === status) return;
      const actor = status === 'cancelled' && row.cancel_requested_by ? `user:${row.cancel_requested_by}` : 'system';
      await new AuditRepository(trx).record(
        {
          org_id: row.org_id,
          actor,
          action: `pipeline.${status}`,
          subject_type: 'pipeline',
          subject_id: row.id,
          data: error ? { error } : {},
        },
        trx,
      );
    });
  }
}
