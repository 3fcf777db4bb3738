/**
 * A vendor's error answer as a tool error: its HTTP status, the vendor's own error code and message, and for
 * a rate limit the wait it asked for. What the model and the operator read; never a credential (the server
 * redacts its credential values from every message, see tool-output.ts).
 */
export class VendorError extends Error {
  constructor(
    readonly vendor: string,
    readonly status: number,
    /** The vendor's code (`invalid_auth`, `AuthFailure`, `ISSUE_NOT_FOUND`), or one derived from the status. */
    readonly code: string,
    message: string,
    /** Seconds the vendor asked to wait (429 Retry-After), bounded. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'VendorError';
  }
}

// A Retry-After beyond this is read as this: a tenant's vendor must not park a call for days.
export const MAX_RETRY_AFTER_S = 900;

/** Seconds from a Retry-After header (delta-seconds or an HTTP date), bounded; undefined when absent or invalid. */
export function retryAfterSeconds(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  const seconds = /^\d{1,10}$/.test(trimmed) ? Number(trimmed) : (Date.parse(trimmed) - now) / 1000;
  if (!Number.isFinite(seconds)) return undefined;
  return Math.min(MAX_RETRY_AFTER_S, Math.max(1, Math.ceil(seconds)));
}

const STATUS_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  412: 'precondition_failed',
  422: 'unprocessable',
  429: 'rate_limited',
};

/** A code for a status the vendor gave no code of its own for. */
export function statusCode(status: number): string {
  return STATUS_CODES[status] ?? (status >= 500 ? 'vendor_unavailable' : `http_${status}`);
}

/** What a status means for the caller, in one sentence the tool error starts with. */
export function statusMeaning(vendor: string, status: number, retryAfter?: number): string {
  if (status === 401) return `${vendor} rejected the credentials (401): check the secret this server is given`;
  if (status === 403) return `${vendor} denied the request (403): the credentials lack the permission`;
  if (status === 404) return `${vendor} found no such resource (404)`;
  if (status === 409) return `${vendor} refused a conflicting change (409)`;
  if (status === 429)
    return `${vendor} rate-limited the request (429)${retryAfter ? `: retry after ${retryAfter} s` : ''}`;
  if (status >= 500) return `${vendor} failed to answer (${status}): try again later`;
  return `${vendor} refused the request (${status})`;
}
