import { VENDOR_ERROR_META } from '../integrations/server/tool-output.js';
import { MAX_RETRY_AFTER_S } from '../integrations/server/vendor-error.js';

/** The text parts of an MCP tool result, joined: the human-readable message of a tool error. */
export function toolResultText(result: { content?: unknown }): string {
  const content = Array.isArray(result.content) ? result.content : [];
  return content
    .filter(
      (c): c is { type: 'text'; text: string } =>
        typeof c === 'object' && c !== null && (c as { type?: unknown }).type === 'text',
    )
    .map((c) => c.text)
    .join('\n')
    .trim();
}

/** The vendor status an integration server put on a tool error (`_meta["collexa/vendorError"]`), checked and bounded. */
export function vendorErrorOf(result: {
  _meta?: unknown;
}): { status: number; code: string; retryAfterSeconds?: number } | undefined {
  const meta = result._meta;
  if (!meta || typeof meta !== 'object') return undefined;
  const v = (meta as Record<string, unknown>)[VENDOR_ERROR_META];
  if (!v || typeof v !== 'object') return undefined;
  const { status, code, retryAfterSeconds } = v as Record<string, unknown>;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) return undefined;
  const wait =
    typeof retryAfterSeconds === 'number' && Number.isFinite(retryAfterSeconds)
      ? Math.min(MAX_RETRY_AFTER_S, Math.max(1, Math.ceil(retryAfterSeconds)))
      : undefined;
  return {
    status,
    code: typeof code === 'string' ? code.slice(0, 100) : `http_${status}`,
    ...(wait !== undefined ? { retryAfterSeconds: wait } : {}),
  };
}
