import { boundedText } from '../../secrets/redact.js';
import { VendorHttp } from '../server/vendor-http.js';
import { statusMeaning, VendorError } from '../server/vendor-error.js';

const VENDOR = 'Slack';

// Slack answers most failures with HTTP 200 and `{ok: false, error}`: the error code says what an HTTP
// status would have. Codes from https://api.slack.com/web#errors and each method's page.
const STATUS_OF: Record<string, number> = {
  ...Object.fromEntries(
    ['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'no_credential'].map((c) => [
      c,
      401,
    ]),
  ),
  ...Object.fromEntries(
    [
      'missing_scope',
      'not_allowed_token_type',
      'no_permission',
      'not_in_channel',
      'restricted_action',
      'access_denied',
      'ekm_access_denied',
      'team_access_not_granted',
      'cant_update_message',
    ].map((c) => [c, 403]),
  ),
  ...Object.fromEntries(
    ['channel_not_found', 'message_not_found', 'thread_not_found', 'file_not_found', 'user_not_found'].map((c) => [
      c,
      404,
    ]),
  ),
  ...Object.fromEntries(['already_reacted', 'is_archived'].map((c) => [c, 409])),
  ratelimited: 429,
  rate_limited: 429,
  fatal: 500,
  internal_error: 500,
  service_unavailable: 503,
};

/** The HTTP status a Slack error code stands for; 400 for any code not listed (a bad argument). */
export const slackStatus = (code: string): number => STATUS_OF[code] ?? 400;

/** Slack's error body: its code, and for missing_scope the scope needed. */
export function readSlackError(body: unknown): { code?: string; message?: string } {
  if (!body || typeof body !== 'object') return {};
  const b = body as { error?: unknown; needed?: unknown; provided?: unknown };
  if (typeof b.error !== 'string') return {};
  const scopes =
    typeof b.needed === 'string' ? ` (needs ${b.needed}; the token has ${String(b.provided ?? 'none')})` : '';
  return { code: b.error, message: `${b.error}${scopes}` };
}

/** An `{ok: false}` answer as the VendorError its code stands for (a 200 that failed). */
export function slackFailure(body: unknown, retryAfter?: number): VendorError {
  const read = readSlackError(body);
  const code = read.code ?? 'unknown_error';
  const status = slackStatus(code);
  const message = `${statusMeaning(VENDOR, status, retryAfter)}: ${boundedText(read.message ?? code)}`;
  return new VendorError(VENDOR, status, code, message, retryAfter);
}

export interface SlackCall {
  /** Form fields of a POST method. */
  form?: Record<string, string | number | boolean | undefined>;
  /** Query of a GET method. */
  query?: Record<string, string | number | boolean | undefined>;
  signal: AbortSignal;
}

/**
 * Slack's Web API as a bot: `POST /<method>` with form fields or `GET /<method>?query`, the bot token as
 * `Authorization: Bearer`, and every `{ok: false}` thrown as a VendorError with its mapped status.
 */
export class SlackApi {
  private readonly http: VendorHttp;

  constructor(opts: { baseUrl: string; token: string; sandbox: boolean }) {
    this.http = new VendorHttp({
      vendor: VENDOR,
      baseUrl: opts.baseUrl,
      // In a sandbox the token also goes as a `token` header: the shipped description declares it there
      // (required, on chat.* and reactions.*), and its mock and emulator check requests against the
      // description. Slack itself reads it from Authorization, so Slack is not sent it twice.
      headers: { authorization: `Bearer ${opts.token}`, ...(opts.sandbox ? { token: opts.token } : {}) },
      readError: readSlackError,
    });
  }

  async call<T extends Record<string, unknown>>(method: string, req: SlackCall): Promise<T> {
    const body = await this.http.request<Record<string, unknown>>({
      method: req.form ? 'POST' : 'GET',
      path: `/${method}`,
      ...(req.form ? { form: req.form } : {}),
      ...(req.query ? { query: req.query } : {}),
      signal: req.signal,
    });
    if (body.ok !== true) throw slackFailure(body);
    return body as T;
  }
}
