/**
 * Google's error answers as tool errors. The APIs answer `{"error": {"code": 404, "message": "…", "status":
 * "NOT_FOUND", "errors": [{"reason": "notFound", …}]}}` (Compute and Storage often without `status`, with
 * `errors[].reason`); the OAuth token endpoint answers `{"error": "invalid_grant", "error_description": "…"}`.
 */
import type { ErrorReader } from '../server/vendor-http.js';
import { statusMeaning, VendorError } from '../server/vendor-error.js';

export const VENDOR = 'Google Cloud';

/** google.rpc.Code names and the HTTP status Google answers each with (https://cloud.google.com/apis/design/errors). */
export const GOOGLE_STATUS_HTTP: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  ABORTED: 409,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  UNKNOWN: 500,
  INTERNAL: 500,
  DATA_LOSS: 500,
  UNIMPLEMENTED: 501,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

// Compute answers some rate limits as 403 with only a reason: a rate limit all the same.
const REASON_HTTP: Record<string, number> = { rateLimitExceeded: 429, userRateLimitExceeded: 429 };

// OAuth 2.0 token errors (RFC 6749 §5.2) that mean the key itself is refused: a 401 to the caller.
const CREDENTIAL_ERRORS = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client', 'access_denied']);

const own = (map: Record<string, number>, key: string) => (Object.hasOwn(map, key) ? map[key] : undefined);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The code and message of a Google error body: its status name, else its first reason, else the OAuth error. */
export const readGoogleError: ErrorReader = (body) => {
  if (!isObject(body)) return {};
  const e = body.error;
  if (typeof e === 'string')
    return {
      code: e,
      message: typeof body.error_description === 'string' ? `${e}: ${body.error_description}` : e,
    };
  if (!isObject(e)) return {};
  const reason = Array.isArray(e.errors) && isObject(e.errors[0]) ? e.errors[0].reason : undefined;
  const code = [e.status, reason, e.code].find((c) => typeof c === 'string' && c !== '') as string | undefined;
  return {
    ...(code !== undefined ? { code } : {}),
    ...(typeof e.message === 'string' ? { message: e.message } : {}),
  };
};

/**
 * A VendorError as the caller should see it: an OAuth error that refuses the key (400 invalid_grant) is a
 * 401, and a google.rpc status name the HTTP status disagrees with (a proxy's 400 for UNAUTHENTICATED)
 * takes Google's own status. Anything else is left as it is.
 */
export function normalizeGoogleError(err: unknown): unknown {
  if (!(err instanceof VendorError) || err.vendor !== VENDOR) return err;
  const wanted = CREDENTIAL_ERRORS.has(err.code)
    ? 401
    : (own(GOOGLE_STATUS_HTTP, err.code) ?? own(REASON_HTTP, err.code));
  if (wanted === undefined || wanted === err.status) return err;
  const said = err.message.startsWith(statusMeaning(VENDOR, err.status))
    ? err.message.slice(statusMeaning(VENDOR, err.status).length)
    : `: ${err.message}`;
  return new VendorError(VENDOR, wanted, err.code, `${statusMeaning(VENDOR, wanted)}${said}`, err.retryAfterSeconds);
}
