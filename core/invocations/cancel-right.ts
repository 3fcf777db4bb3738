import type { ApprovalRow, InvocationRow } from '../db/rows.js';
import type { Principal } from '../identity/identity.service.js';

/** Why a caller may cancel an invocation, as the audit records it. */
export type CancelRight = 'requester' | 'admin' | 'approver';

/**
 * Who may cancel an invocation: whoever requested it, an admin of its org, or a user whose role the
 * invocation's approval names (someone who could deny it may also withdraw it). Anyone else: undefined.
 */
export function cancelRight(
  p: Pick<Principal, 'userId' | 'role'>,
  row: Pick<InvocationRow, 'requested_by'>,
  approval: Pick<ApprovalRow, 'approver_roles'> | undefined,
): CancelRight | undefined {
  if (p.userId === row.requested_by) return 'requester';
  if (p.role === 'admin') return 'admin';
  if (approval?.approver_roles.includes(p.role)) return 'approver';
  return undefined;
}
