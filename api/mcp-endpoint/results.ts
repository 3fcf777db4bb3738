import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { InvocationRow } from '../../core/db/rows.js';
import type { AppError } from '../../core/errors.js';
import { STATUS_TOOL } from './tools.js';

const text = (value: string) => [{ type: 'text' as const, text: value }];

/**
 * An invocation as a tools/call result: once succeeded, the tool's own result as recorded; once failed,
 * denied, expired or cancelled, an error result; while under way, a normal result that says so and how to
 * follow it. The invocation id is always in `_meta` (and in structuredContent unless the tool's own is there).
 */
export function invocationResult(row: InvocationRow): CallToolResult {
  const _meta = { 'collexa/invocationId': row.id, 'collexa/status': row.status };
  const state = { status: row.status, invocationId: row.id, approvalId: row.approval_id };
  const follow = `Call ${STATUS_TOOL} with {"invocationId":"${row.id}"} for the outcome.`;
  switch (row.status) {
    case 'succeeded': {
      const result = (row.result ?? {}) as {
        content?: CallToolResult['content'];
        structuredContent?: Record<string, unknown> | null;
      };
      return {
        content: result.content ?? [],
        ...(result.structuredContent ? { structuredContent: result.structuredContent } : {}),
        _meta,
      };
    }
    case 'pending_approval':
      return {
        content: text(
          `Invocation ${row.id} is pending approval ${row.approval_id}: an approver must approve or deny it (POST /v1/approvals/${row.approval_id}/approve or /deny). ${follow}`,
        ),
        structuredContent: state,
        _meta,
      };
    case 'running':
      return { content: text(`Invocation ${row.id} is still running. ${follow}`), structuredContent: state, _meta };
    default: {
      const error = (row.error ?? {}) as { code?: string; message?: string };
      const message = error.message ?? `the invocation ended ${row.status}`;
      return {
        isError: true,
        content: text(`Invocation ${row.id} ${row.status}: ${message}`),
        structuredContent: { ...state, error: { code: error.code ?? row.status, message } },
        _meta,
      };
    }
  }
}

/** A request Collexa refused before any invocation ran (bad input, unknown id, idempotency clash...). */
export function refusalResult(err: AppError): CallToolResult {
  const issues = (err.details.errors as { path: string; message: string }[] | undefined) ?? [];
  const detail = issues.length ? `: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}` : '';
  return {
    isError: true,
    content: text(`${err.message}${detail}`),
    structuredContent: { error: { code: err.code, message: err.message, details: err.details } },
  };
}
