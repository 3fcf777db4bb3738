import type { Redactor } from '../../secrets/redact.js';
import { VendorError } from './vendor-error.js';

/** What a handler answers: the data, shown as JSON text and as structured content. */
export type ToolOutput = Record<string, unknown>;

/** The `_meta` key of a tool error that carries the vendor's status (core/invocations reads it). */
export const VENDOR_ERROR_META = 'collexa/vendorError';

export interface CallToolAnswer {
  [key: string]: unknown;
  content: Array<{ type: 'text'; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  _meta?: Record<string, unknown>;
}

// What one result may hold at most: larger answers are cut (a vendor's list can be huge).
const MAX_TEXT = 512 * 1024;

/** A handler's data as a tool result, credentials redacted. */
export function toolResult(data: ToolOutput, redactor: Redactor): CallToolAnswer {
  const clean = redactor.json(data);
  const text = JSON.stringify(clean, null, 2);
  return {
    content: [{ type: 'text', text: text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}\n… (cut)` : text }],
    structuredContent: clean,
  };
}

/** Any failure of a handler as a tool error: a vendor's with its status and code, anything else by its message. */
export function toolError(err: unknown, vendor: string, redactor: Redactor): CallToolAnswer {
  if (err instanceof VendorError) {
    const error = {
      vendor: err.vendor,
      status: err.status,
      code: redactor.text(err.code),
      message: redactor.text(err.message),
      ...(err.retryAfterSeconds !== undefined ? { retryAfterSeconds: err.retryAfterSeconds } : {}),
    };
    return {
      content: [{ type: 'text', text: error.message }],
      structuredContent: { error },
      isError: true,
      _meta: {
        [VENDOR_ERROR_META]: { status: err.status, code: error.code, retryAfterSeconds: err.retryAfterSeconds },
      },
    };
  }
  const message = redactor.text(err instanceof Error ? err.message : String(err));
  return {
    content: [{ type: 'text', text: `${vendor}: ${message}` }],
    structuredContent: { error: { vendor, code: 'integration_error', message } },
    isError: true,
  };
}
