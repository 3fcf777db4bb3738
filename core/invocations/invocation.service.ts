import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import {
  INVOKE_CAPABILITY_WORKFLOW,
  invocationSearchAttributes,
  isTerminalInvocation,
  type InvokeCapabilityWorkflow,
} from '../../contracts/invocation.contract.js';
import { InvocationRepository } from '../db/invocation.repository.js';
import type { Db } from '../db/knex.js';
import type { ApprovalRow, InvocationRow } from '../db/rows.js';
import { AuditRepository } from '../db/audit.repository.js';
import { AppError, conflict } from '../errors.js';
import type { Principal } from '../identity/identity.service.js';
import type { Logger } from '../log.js';
import type { PolicyEngine } from '../policy/engine.js';
import { cancelRight } from './cancel-right.js';
import { approvalTimeoutOf, InvocationRecorder, invokeInputOf, type InvokeRequest } from './invocation-recorder.js';

export interface InvocationServiceDeps {
  db: Db;
  temporal: Client;
  /** The task queue the workers poll (TEMPORAL_TASK_QUEUE). */
  taskQueue: string;
  approvalTimeoutMs: number;
  /**
   * The policy bundle the workers run, for a forecast before admission: a call it denies spends no server
   * or org rate tokens, only its key's denied bucket. Without it every call takes the tokens and the
   * workflow's decision gives a denied call's back.
   */
  policy?: PolicyEngine;
}

/** Creates invocations (validation, idempotency, workflow start) and waits for them to end: shared by REST and MCP. */
export class InvocationService {
  readonly invocations: InvocationRepository;
  private readonly recorder: InvocationRecorder;

  constructor(private readonly deps: InvocationServiceDeps) {
    this.invocations = new InvocationRepository(deps.db);
    this.recorder = new InvocationRecorder(deps.db, deps.policy);
  }

  /**
   * Validates the input against the capability's pinned schema, records the invocation (or finds the one
   * holding this idempotency key) and starts its workflow. Throws AppErrors a caller can show as they are.
   */
  async invoke(p: Principal, req: InvokeRequest, log?: Logger): Promise<{ row: InvocationRow; created: boolean }> {
    const { row, created } = await this.recorder.record(p, req);
    // A replay starts the workflow again too: if the first request died between insert and start, this
    // completes it; otherwise Temporal rejects the duplicate id and nothing happens.
    if (!isTerminalInvocation(row.status)) {
      try {
        await this.startWorkflow(row, approvalTimeoutOf(req, this.deps.approvalTimeoutMs));
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
          log?.error({ err, invocationId: row.id }, 'could not start invocation workflow');
          throw new AppError(
            'temporal_unavailable',
            503,
            'The invocation was recorded but could not be started; retry with the same idempotency key',
            { invocationId: row.id },
          );
        }
      }
    }
    return { row, created };
  }

  /**
   * Holds until the invocation's workflow ends, `ms` pass or `signal` aborts, then re-reads the row.
   * The Temporal long poll is cancelled with the wait, so an abandoned wait keeps no call open.
   */
  async waitForEnd(row: InvocationRow, ms: number, signal?: AbortSignal): Promise<InvocationRow> {
    if (ms <= 0 || isTerminalInvocation(row.status) || signal?.aborted) return row;
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), ms);
    const onAbort = () => stop.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const stopped = new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true }));
    try {
      const ended = this.deps.temporal.withAbortSignal(stop.signal, () =>
        this.deps.temporal.workflow.getHandle(row.workflow_id).result(),
      );
      await Promise.race([ended.catch(() => undefined), stopped]);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      stop.abort();
    }
    return this.invocations.get(row.org_id, row.id);
  }

  /**
   * Cancels a running or pending invocation (and so its approval) for its requester, an admin or an
   * approver of its approval; 403 for anyone else, 409 once it ended. The request is recorded with its
   * user before the workflow is cancelled, so the end's audit names them rather than `system`.
   */
  async cancel(p: Principal, id: string): Promise<InvocationRow> {
    const row = await this.invocations.get(p.orgId, id);
    const right = cancelRight(p, row, await this.invocations.approvalFor(row));
    if (!right)
      throw new AppError(
        'cancel_forbidden',
        403,
        'Only the requester, an admin or an approver of its approval may cancel this invocation',
        { role: p.role },
      );
    if (isTerminalInvocation(row.status))
      throw conflict(`The invocation already ended (${row.status})`, { status: row.status });
    await this.deps.db.transaction(async (trx) => {
      await new InvocationRepository(trx).update(row.id, { cancel_requested_by: p.userId });
      await new AuditRepository(trx).record({
        org_id: row.org_id,
        actor: `user:${p.userId}`,
        action: 'invocation.cancel_requested',
        subject_type: 'invocation',
        subject_id: row.id,
        invocation_id: row.id,
        data: { as: right, role: p.role },
      });
    });
    const handle = this.deps.temporal.workflow.getHandle(row.workflow_id);
    await handle.cancel();
    // Give the workflow a moment to record the cancellation so the answer usually shows it.
    await Promise.race([handle.result().catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
    return this.invocations.get(row.org_id, id);
  }

  /** Starts invokeCapabilityWorkflow for a recorded row; WorkflowExecutionAlreadyStartedError when it already runs. */
  private startWorkflow(row: InvocationRow, approvalTimeoutMs: number) {
    return this.deps.temporal.workflow.start<InvokeCapabilityWorkflow>(INVOKE_CAPABILITY_WORKFLOW, {
      taskQueue: this.deps.taskQueue,
      workflowId: row.workflow_id,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      args: [invokeInputOf(row, approvalTimeoutMs)],
      typedSearchAttributes: invocationSearchAttributes(invokeInputOf(row, approvalTimeoutMs)),
    });
  }

  get(orgId: string, id: string): Promise<InvocationRow> {
    return this.invocations.get(orgId, id);
  }

  list(orgId: string, filter: Parameters<InvocationRepository['list']>[1]) {
    return this.invocations.list(orgId, filter);
  }

  approvalFor(row: InvocationRow): Promise<ApprovalRow | undefined> {
    return this.invocations.approvalFor(row);
  }
}
