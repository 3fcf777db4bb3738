import { boundedText } from '../../secrets/redact.js';
import { retryAfterSeconds, statusCode, statusMeaning, VendorError } from './vendor-error.js';

/**
 * How a vendor's error body names its code and message (each vendor has its own shape). Its headers tell a
 * rate limit some vendors answer with another status (GitHub's 403 with `x-ratelimit-remaining: 0`): then
 * `status` is the status it stands for and `retryAfterSeconds` the wait.
 */
export type ErrorReader = (
  body: unknown,
  status: number,
  headers: Headers,
) => { code?: string; message?: string; status?: number; retryAfterSeconds?: number };

export interface VendorHttpOptions {
  vendor: string;
  baseUrl: string;
  /** Headers every request carries (the vendor's auth). */
  headers: Record<string, string>;
  readError?: ErrorReader;
  timeoutMs?: number;
}

export interface VendorRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  /** A raw body (a file upload) with its content type. */
  body?: { data: string | Uint8Array; type: string };
  /** Form fields (Slack's application/x-www-form-urlencoded methods). */
  form?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 30_000;
// A vendor's answer beyond this is refused rather than read into memory.
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/**
 * HTTP to one vendor API: JSON in and out, its auth on every request, a timeout, a bounded answer, and any
 * non-2xx answer thrown as a VendorError (status, the vendor's code and message, Retry-After). Runs inside
 * the server's sandbox, where fetch goes out through the egress proxy (NODE_USE_ENV_PROXY).
 */
export class VendorHttp {
  constructor(private readonly opts: VendorHttpOptions) {}

  async request<T = unknown>(req: VendorRequest): Promise<T> {
    const { text } = await this.send(req);
    const parsed = parseJson(text);
    return (parsed ?? (text === '' ? {} : { text })) as T;
  }

  /** The answer's bytes as they are (a file's content), with its content type; errors as request() throws them. */
  async requestBytes(req: VendorRequest): Promise<{ bytes: Buffer; contentType: string; headers: Headers }> {
    const { bytes, res } = await this.send(req);
    return { bytes, contentType: res.headers.get('content-type') ?? '', headers: res.headers };
  }

  private async send(req: VendorRequest): Promise<{ res: Response; bytes: Buffer; text: string }> {
    // URL resolution removes `.` and `..` segments (`%2e` too): a path built from a tool's input must not
    // climb to another endpoint the credential reaches (`contents/../../../user/keys`); the URL parser also
    // reads `\` as `/` for http(s), so it separates segments here too.
    if (req.path.split(/[/\\?#]/).some((s) => /^(?:\.|%2e){1,2}$/i.test(s)))
      throw new VendorError(
        this.opts.vendor,
        400,
        'invalid_path',
        `${this.opts.vendor}: the request path has a . or .. segment`,
      );
    const url = new URL(req.path.replace(/^\//, ''), this.opts.baseUrl.replace(/\/?$/, '/'));
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json', ...this.opts.headers, ...req.headers };
    let body: string | Uint8Array | undefined;
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.json);
    } else if (req.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      const form = new URLSearchParams();
      for (const [k, v] of Object.entries(req.form)) if (v !== undefined) form.set(k, String(v));
      body = form.toString();
    } else if (req.body) {
      headers['content-type'] = req.body.type;
      body = req.body.data;
    }
    const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await fetch(url, { method: req.method ?? 'GET', headers, body, signal, redirect: 'error' });
    } catch (err) {
      const why = timeout.aborted ? 'timed out' : (err as Error).cause ? String((err as Error).cause) : String(err);
      throw new VendorError(this.opts.vendor, 503, 'unreachable', `${this.opts.vendor} could not be reached: ${why}`);
    }
    const bytes = await boundedBytes(res);
    const text = bytes.toString('utf8');
    if (!res.ok) throw this.failure(res, parseJson(text), text);
    return { res, bytes, text };
  }

  private failure(res: Response, parsed: unknown, text: string): VendorError {
    const read = parsed !== undefined ? (this.opts.readError?.(parsed, res.status, res.headers) ?? {}) : {};
    const status = read.status ?? res.status;
    const wait =
      read.retryAfterSeconds ?? (status === 429 ? retryAfterSeconds(res.headers.get('retry-after')) : undefined);
    const said = boundedText(read.message ?? (parsed === undefined ? text : ''));
    const message = `${statusMeaning(this.opts.vendor, status, wait)}${said ? `: ${said}` : ''}`;
    return new VendorError(this.opts.vendor, status, read.code ?? statusCode(status), message, wait);
  }
}

async function boundedBytes(res: Response): Promise<Buffer> {
  if (Number(res.headers.get('content-length') ?? 0) > MAX_RESPONSE_BYTES)
    throw new VendorError('vendor', 502, 'response_too_large', `the answer is larger than ${MAX_RESPONSE_BYTES} bytes`);
  const buf = Buffer.from(await res.arrayBuffer());
  if (buf.length > MAX_RESPONSE_BYTES)
    throw new VendorError('vendor', 502, 'response_too_large', `the answer is larger than ${MAX_RESPONSE_BYTES} bytes`);
  return buf;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
