import { PIPELINE_STAGES } from '../../contracts/pipeline.contract.js';
import type { ArtifactSummary } from '../../core/db/pipeline.repository.js';
import type { InvocationRow, PipelineArtifactRow, PipelineRow, PipelineStageRecord } from '../../core/db/rows.js';
import { iso } from './iso.js';

const stageView = (s: PipelineStageRecord) => ({
  status: s.status,
  attempts: s.attempts,
  startedAt: s.startedAt,
  endedAt: s.endedAt,
  durationMs: s.startedAt && s.endedAt ? new Date(s.endedAt).getTime() - new Date(s.startedAt).getTime() : null,
  costUsd: Number(s.costUsd ?? 0),
  llmCalls: s.llmCalls?.length ?? 0,
  error: s.error,
  steps: s.steps ?? {},
});

export const artifactView = (a: ArtifactSummary) => ({
  artifactId: a.id,
  stage: a.stage,
  kind: a.kind,
  path: a.path,
  bytes: a.bytes,
  sha256: a.sha256,
  createdAt: iso(a.created_at),
  links: { self: `/v1/pipelines/${a.pipeline_id}/artifacts/${a.id}` },
});

/** One artifact with its content. */
export const artifactContentView = (a: PipelineArtifactRow) => ({ ...artifactView(a), content: a.content });

/** A pipeline: status, each stage's status, timings, attempts and cost; with `detail`, its artifacts and invocations. */
export function pipelineView(p: PipelineRow, detail?: { artifacts: ArtifactSummary[]; invocations: InvocationRow[] }) {
  return {
    pipelineId: p.id,
    agentId: p.agent_id,
    status: p.status,
    error: p.error,
    requestedBy: p.requested_by,
    project: p.project,
    deployTarget: p.deploy_target,
    sandboxIds: p.sandbox_ids,
    approvalId: p.approval_id,
    costUsd: Number(p.cost_usd),
    // In the order they run (jsonb keeps keys in its own order).
    stages: Object.fromEntries(PIPELINE_STAGES.map((name) => [name, stageView(p.stages[name])])),
    workflowId: p.workflow_id,
    createdAt: iso(p.created_at),
    updatedAt: iso(p.updated_at),
    completedAt: iso(p.completed_at),
    ...(detail
      ? {
          artifacts: detail.artifacts.map(artifactView),
          invocations: detail.invocations.map((i) => ({
            invocationId: i.id,
            capability: i.capability,
            status: i.status,
            idempotencyKey: i.idempotency_key,
            sandboxId: i.sandbox_id,
            error: i.error,
            links: { self: `/v1/invocations/${i.id}` },
          })),
        }
      : {}),
    links: {
      self: `/v1/pipelines/${p.id}`,
      cancel: `/v1/pipelines/${p.id}/cancel`,
      retry: `/v1/pipelines/${p.id}/retry`,
      ...(p.approval_id ? { approval: `/v1/approvals/${p.approval_id}` } : {}),
    },
  };
}
