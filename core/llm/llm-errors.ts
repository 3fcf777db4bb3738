import { APICallError, NoObjectGeneratedError, JSONParseError, TypeValidationError, RetryError } from 'ai';
import { AppError } from '../errors.js';
import { EgressDenied } from '../net/egress.js';
import { ResponseTooLarge } from '../net/bounded-response.js';
import { boundedText, type Redactor } from '../secrets/redact.js';

/**
 * A provider's failure, mapped from the vendor's own status and error type/code. 4xx codes are final for
 * Temporal; `llm_rate_limited` is retried after its Retry-After (activities/application-failure.ts);
 * 5xx are retried. Statuses: a provider refusing the key is 424, not 401 (the caller's key is fine).
 */
export const LLM_ERROR_STATUS = {
  llm_auth: 424,
  llm_rate_limited: 429,
  llm_context_length: 422,
  llm_content_filter: 422,
  llm_bad_request: 422,
  llm_unavailable: 503,
  llm_timeout: 504,
  llm_bad_output: 502,
} as const;
export type LlmErrorCode = keyof typeof LLM_ERROR_STATUS;

export class LlmCallError extends AppError {
  constructor(
    readonly llmCode: LlmErrorCode,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    const retryAfter = details.retryAfterSeconds;
    super(
      llmCode,
      LLM_ERROR_STATUS[llmCode],
      message,
      details,
      typeof retryAfter === 'number' ? { 'retry-after': String(retryAfter) } : {},
    );
    this.name = 'LlmCallError';
  }

  withDetails(more: Record<string, unknown>): LlmCallError {
    return new LlmCallError(this.llmCode, this.message, { ...this.details, ...more });
  }
}

interface VendorError {
  message?: string;
  type?: string;
  code?: string | number;
  status?: string;
  details?: { '@type'?: string; reason?: string; retryDelay?: string }[];
}

const CONTEXT =
  /context[_ ]length|prompt is too long|maximum context length|exceeds the maximum number of tokens|context window|too many tokens/i;
const FILTERED = /content[_ ](filter|management|policy)|content filtering|blocked by|safety/i;
const AUTH_CODES = new Set([
  'invalid_api_key',
  'authentication_error',
  'permission_error',
  'PERMISSION_DENIED',
  'UNAUTHENTICATED',
]);

/** Maps whatever a provider call threw to an LlmCallError naming the provider; vendor text is redacted and bounded. */
export function mapLlmError(
  err: unknown,
  ctx: { provider: string; redactor: Redactor; timedOut: boolean },
): LlmCallError {
  if (err instanceof LlmCallError) return err;
  if (RetryError.isInstance(err)) return mapLlmError(err.lastError, ctx);
  const say = (code: LlmErrorCode, what: string, details: Record<string, unknown> = {}) =>
    new LlmCallError(code, `LLM provider "${ctx.provider}": ${boundedText(ctx.redactor.text(what))}`, {
      provider: ctx.provider,
      ...details,
    });
  if (ctx.timedOut) return say('llm_timeout', 'no answer within LLM_CALL_TIMEOUT_MS');
  const tooLarge = causeOf(err, ResponseTooLarge);
  if (tooLarge) return say('llm_bad_output', tooLarge.message);
  if (NoObjectGeneratedError.isInstance(err) || TypeValidationError.isInstance(err) || JSONParseError.isInstance(err))
    return say('llm_bad_output', `the output does not match the schema (${(err as Error).message})`);
  if (err instanceof EgressDenied) return say('llm_unavailable', `egress policy: ${err.reason}`);
  if (!APICallError.isInstance(err)) {
    const name = (err as Error)?.name;
    if (name === 'AbortError' || name === 'TimeoutError') return say('llm_timeout', 'the call was aborted');
    return say('llm_unavailable', `the provider could not be reached (${(err as Error)?.message ?? String(err)})`);
  }
  const status = err.statusCode ?? 0;
  const v = vendorError(err.responseBody);
  const text = v.message ?? err.message;
  const tag = [v.code, v.type, v.status, ...(v.details ?? []).map((d) => d.reason)].filter(Boolean).map(String);
  const vendor = { status, ...(tag.length ? { vendorCode: tag[0] } : {}) };
  if (status === 401 || status === 403 || tag.some((t) => AUTH_CODES.has(t) || t === 'API_KEY_INVALID'))
    return say('llm_auth', text, vendor);
  if (
    status === 429 ||
    tag.some((t) => t === 'rate_limit_error' || t === 'rate_limit_exceeded' || t === 'RESOURCE_EXHAUSTED')
  ) {
    const retryAfterSeconds = retryAfterOf(err.responseHeaders, v);
    return say('llm_rate_limited', text, {
      ...vendor,
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    });
  }
  if (tag.includes('context_length_exceeded') || status === 413 || CONTEXT.test(text))
    return say('llm_context_length', text, vendor);
  if (tag.includes('content_filter') || tag.includes('content_policy_violation') || FILTERED.test(text))
    return say('llm_content_filter', text, vendor);
  if (status === 408 || status === 504) return say('llm_timeout', text, vendor);
  if (status >= 400 && status < 500) return say('llm_bad_request', text, vendor);
  return say('llm_unavailable', text, vendor);
}

/** The provider stopped its answer for content (finish reason `content-filter`: Gemini SAFETY, OpenAI content_filter, Anthropic refusal). */
export function contentFiltered(provider: string): LlmCallError {
  return new LlmCallError(
    'llm_content_filter',
    `LLM provider "${provider}" stopped the answer for its content policy`,
    {
      provider,
    },
  );
}

/** `err` or the first of its causes that is a `type` (SDKs wrap what the fetch's body stream threw). */
function causeOf<E extends Error>(err: unknown, type: new (...args: never[]) => E): E | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++)
    if (e instanceof type) return e;
  return undefined;
}

function vendorError(body: string | undefined): VendorError {
  if (!body) return {};
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    return parsed && typeof parsed.error === 'object' && parsed.error !== null ? (parsed.error as VendorError) : {};
  } catch {
    return {};
  }
}

const MAX_RETRY_AFTER = 3600;

/** Seconds from Retry-After (seconds or an HTTP date), retry-after-ms, or Gemini's RetryInfo `retryDelay: "30s"`. */
function retryAfterOf(headers: Record<string, string> | undefined, v: VendorError): number | undefined {
  const h = Object.fromEntries(Object.entries(headers ?? {}).map(([k, x]) => [k.toLowerCase(), x]));
  let s: number | undefined;
  if (h['retry-after-ms'] && Number.isFinite(Number(h['retry-after-ms']))) s = Number(h['retry-after-ms']) / 1000;
  else if (h['retry-after'])
    s = /^\d+(\.\d+)?$/.test(h['retry-after'])
      ? Number(h['retry-after'])
      : (Date.parse(h['retry-after']) - Date.now()) / 1000;
  else {
    const delay = v.details?.find((d) => d.retryDelay)?.retryDelay;
    const m = delay ? /^(\d+(?:\.\d+)?)s$/.exec(delay) : null;
    if (m) s = Number(m[1]);
  }
  if (s === undefined || !Number.isFinite(s)) return undefined;
  return Math.min(MAX_RETRY_AFTER, Math.max(0, Math.ceil(s)));
}
