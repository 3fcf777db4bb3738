import { VendorHttp, type VendorRequest } from '../server/vendor-http.js';
import { retryAfterSeconds } from '../server/vendor-error.js';

const VENDOR = 'GitHub';

/**
 * GitHub's error body (`{message, documentation_url}`, a 422's `errors[]` naming fields and codes) and its
 * rate limits: a 403 or 429 with `x-ratelimit-remaining: 0` (the wait: until `x-ratelimit-reset`, epoch
 * seconds) or with `retry-after` (a secondary limit) stands for a 429.
 * https://docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api
 */
export function readGithubError(
  body: unknown,
  status: number,
  headers: Headers,
  now = Date.now(),
): { code?: string; message?: string; status?: number; retryAfterSeconds?: number } {
  const b = body && typeof body === 'object' ? (body as { message?: unknown; errors?: unknown }) : {};
  const said = typeof b.message === 'string' ? b.message : undefined;
  const details = Array.isArray(b.errors) ? b.errors.map(errorDetail).filter((d) => d !== '') : [];
  const message = [said, ...details].filter((s) => s !== undefined && s !== '').join('; ') || undefined;
  const firstCode = Array.isArray(b.errors)
    ? (b.errors as Array<{ code?: unknown }>).map((e) => e?.code).find((c) => typeof c === 'string')
    : undefined;
  if (status === 403 || status === 429) {
    const reset = Number(headers.get('x-ratelimit-reset'));
    const limited = headers.get('x-ratelimit-remaining') === '0';
    const retry = headers.get('retry-after');
    if (limited || retry !== null) {
      const wait =
        retry !== null
          ? retryAfterSeconds(retry, now)
          : Number.isFinite(reset) && reset > 0
            ? retryAfterSeconds(String(Math.max(0, Math.ceil(reset - now / 1000))), now)
            : undefined;
      return {
        code: 'rate_limited',
        status: 429,
        ...(message ? { message } : {}),
        ...(wait ? { retryAfterSeconds: wait } : {}),
      };
    }
  }
  return {
    ...(message ? { message } : {}),
    ...(status === 422 && typeof firstCode === 'string' ? { code: firstCode } : {}),
  };
}

/** One entry of a 422's `errors`: `Issue.title missing_field`, or its own message. */
function errorDetail(e: unknown): string {
  if (typeof e === 'string') return e;
  if (!e || typeof e !== 'object') return '';
  const { resource, field, code, message } = e as Record<string, unknown>;
  if (typeof message === 'string' && message !== '') return message;
  const where = [resource, field].filter((s) => typeof s === 'string').join('.');
  return [where, typeof code === 'string' ? code : ''].filter((s) => s !== '').join(' ');
}

/** GitHub's REST API with a token: the headers GitHub asks every request to carry. */
export class GithubApi {
  private readonly http: VendorHttp;

  constructor(opts: { baseUrl: string; token: string }) {
    this.http = new VendorHttp({
      vendor: VENDOR,
      baseUrl: opts.baseUrl,
      headers: {
        authorization: `Bearer ${opts.token}`,
        // GitHub's media type first; the description declares its answers as application/json, which the
        // sandboxes (Prism) negotiate strictly, and which GitHub serves for either.
        accept: 'application/vnd.github+json, application/json',
        'x-github-api-version': '2022-11-28',
        'user-agent': 'collexa-integration',
      },
      readError: readGithubError,
    });
  }

  request<T = unknown>(req: VendorRequest): Promise<T> {
    return this.http.request<T>(req);
  }
}

/** `/repos/{owner}/{repo}` with both percent-encoded. */
export const repoPath = (args: Record<string, unknown>) =>
  `/repos/${encodeURIComponent(args.owner as string)}/${encodeURIComponent(args.repo as string)}`;
