import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DecisionRejection } from '../../contracts/approval.contract.js';
import { AppError } from '../errors.js';

const STATUS_BY_TYPE: Record<string, number> = {
  [DecisionRejection.notPending]: 409,
  [DecisionRejection.wrongOrg]: 404,
  [DecisionRejection.selfApproval]: 403,
  [DecisionRejection.forbiddenRole]: 403,
  [DecisionRejection.policyDenied]: 403,
  [DecisionRejection.invalid]: 400,
  [DecisionRejection.tokenRequired]: 400,
  [DecisionRejection.tokenInvalid]: 403,
  [DecisionRejection.tokenExpired]: 403,
  [DecisionRejection.tokenMismatch]: 403,
  [DecisionRejection.tokenUnknownKid]: 409,
  [DecisionRejection.tokenReused]: 409,
  // PostgreSQL refused the decision's data (activities/application-failure.ts).
  invalid_data: 400,
  constraint_violation: 409,
};

/** The type of the ApplicationFailure an approval's update validator or handler rejected with, if that is what `err` is. */
export const rejectionType = (err: unknown) =>
  err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure ? err.cause.type : undefined;

/** Turns a rejected or failed approval decision into the 4xx the caller should see. */
export function decisionError(err: unknown): AppError {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const type = err.cause.type ?? 'decision_rejected';
    if (type === DecisionRejection.wrongOrg) return new AppError('not_found', 404, 'approval not found');
    return new AppError(type, STATUS_BY_TYPE[type] ?? 409, err.cause.message);
  }
  // The workflow already finished (decided or expired): nothing is pending any more.
  if (
    err instanceof WorkflowNotFoundError ||
    /workflow execution already completed/i.test(String((err as Error)?.message))
  ) {
    return new AppError(DecisionRejection.notPending, 409, 'The approval is no longer pending');
  }
  throw err;
}
