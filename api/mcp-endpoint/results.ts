import type { CallToolResult } from '@modelcontextprotocol/server';
import type { InvocationRow } from '../../core/db/rows.js';
import type { AppError } from '../../core/errors.js';
import { STATUS_TOOL } from './tools.js';

const text = (value: string) => [{ type: 'text' as const, text: value }];

/**
 * How a result must look. `conform`: the tool was listed with an outputSchema (2026-07-28 clients see
 * one), and clients check the structuredContent of a non-error result against it, rejecting one that has
 * none. So only the tool's own result (succeeded) carries structuredContent; any other answer moves
 * Collexa's object to `_meta["collexa/details"]`, and one still under way (pending approval, running) is an
 * error result whose text says it has not ended and how to follow it: the call did not produce the tool's
 * output. Without `conform` (2025 clients, tools without an outputSchema) Collexa's object is the
 * structuredContent, as it always was.
 */
export interface ResultShape {
  conform: boolean;
}

const LOOSE: ResultShape = { conform: false };

/**
 * An invocation as a tools/call result: once succeeded, the tool's own result as recorded; once failed,
 * denied, expired or cancelled, an error result; while under way, a result that says so and how to
 * follow it. The invocation id is always in `_meta` (and in structuredContent unless the tool's own is there).
 */
export function invocationResult(row: InvocationRow, shape: ResultShape = LOOSE): CallToolResult {
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
      return shaped(shape, {
        content: text(
          `Invocation ${row.id} is pending approval ${row.approval_id}: an approver must approve or deny it (POST /v1/approvals/${row.approval_id}/approve or /deny). ${follow}`,
        ),
        structuredContent: state,
        _meta,
      });
    case 'running':
      return shaped(shape, {
        content: text(`Invocation ${row.id} is still running. ${follow}`),
        structuredContent: state,
        _meta,
      });
    default: {
      const error = (row.error ?? {}) as { code?: string; message?: string };
      const message = error.message ?? `the invocation ended ${row.status}`;
      return shaped(shape, {
        isError: true,
        content: text(`Invocation ${row.id} ${row.status}: ${message}`),
        structuredContent: { ...state, error: { code: error.code ?? row.status, message } },
        _meta,
      });
    }
  }
}

/** A request Collexa refused before any invocation ran (bad input, unknown id, idempotency clash...). */
export function refusalResult(err: AppError, shape: ResultShape = LOOSE): CallToolResult {
  const issues = (err.details.errors as { path: string; message: string }[] | undefined) ?? [];
  const detail = issues.length ? `: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}` : '';
  return shaped(shape, {
    isError: true,
    content: text(`${err.message}${detail}`),
    structuredContent: { error: { code: err.code, message: err.message, details: err.details } },
  });
}

/** A result that is not the tool's own, in the shape `shape` asks for (see ResultShape). */
function shaped(shape: ResultShape, result: CallToolResult): CallToolResult {
  if (!shape.conform) return result;
  const { structuredContent, ...rest } = result;
  return { ...rest, isError: true, _meta: { ...rest._meta, 'collexa/details': structuredContent } };
}
