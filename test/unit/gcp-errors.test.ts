// Google's error answers as the gcp tools report them, through VendorHttp against a local server that
// answers as Google does; the token exchange's refusals; the key's checks and the token cache.
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseServiceAccountKey, ServiceAccountTokens } from '../../core/integrations/gcp/gcp-auth.js';
import { normalizeGoogleError, readGoogleError, VENDOR } from '../../core/integrations/gcp/gcp-errors.js';
import { utf8Text } from '../../core/integrations/gcp/gcp-storage.js';
import { VendorError } from '../../core/integrations/server/vendor-error.js';
import { VendorHttp } from '../../core/integrations/server/vendor-http.js';

let server: Server;
let url: string;
let answer: { status: number; body: unknown; headers?: Record<string, string> };
let tokenCalls = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/token') tokenCalls++;
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(JSON.stringify(answer.body));
  }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

const google = (code: number, status: string, message: string, reason = 'r') => ({
  error: { code, message, status, errors: [{ message, domain: 'global', reason }] },
});

async function failure(status: number, body: unknown, headers?: Record<string, string>): Promise<VendorError> {
  answer = { status, body, ...(headers ? { headers } : {}) };
  const http = new VendorHttp({ vendor: VENDOR, baseUrl: url, headers: {}, readError: readGoogleError });
  const err = await http.request({ path: '/compute/v1/x' }).then(
    () => undefined,
    (e: unknown) => normalizeGoogleError(e),
  );
  expect(err).toBeInstanceOf(VendorError);
  return err as VendorError;
}

describe('Google errors', () => {
  it.each([
    [401, 'UNAUTHENTICATED', /rejected the credentials \(401\).*: Request had invalid authentication credentials/],
    [403, 'PERMISSION_DENIED', /denied the request \(403\).*: Required 'compute.instances.list' permission/],
    [404, 'NOT_FOUND', /found no such resource \(404\)/],
    [409, 'ALREADY_EXISTS', /refused a conflicting change \(409\)/],
    [409, 'ABORTED', /refused a conflicting change \(409\)/],
    [503, 'UNAVAILABLE', /failed to answer \(503\): try again later/],
    [500, 'INTERNAL', /failed to answer \(500\)/],
  ])('%i %s keeps the status and names Google’s code', async (status, name, message) => {
    const messages: Record<string, string> = {
      UNAUTHENTICATED: 'Request had invalid authentication credentials.',
      PERMISSION_DENIED: "Required 'compute.instances.list' permission for 'projects/p'",
    };
    const err = await failure(status, google(status, name, messages[name] ?? 'x'));
    expect(err).toMatchObject({ vendor: 'Google Cloud', status, code: name });
    expect(err.message).toMatch(message);
  });

  it('429 RESOURCE_EXHAUSTED carries the wait Retry-After asks for', async () => {
    const err = await failure(429, google(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded'), { 'retry-after': '30' });
    expect(err).toMatchObject({ status: 429, code: 'RESOURCE_EXHAUSTED', retryAfterSeconds: 30 });
    expect(err.message).toMatch(/rate-limited the request \(429\): retry after 30 s: Quota exceeded/);
  });

  it('reads Compute and Storage bodies that give a reason but no status', async () => {
    const err = await failure(404, { error: { code: 404, message: 'Not Found', errors: [{ reason: 'notFound' }] } });
    expect(err).toMatchObject({ status: 404, code: 'notFound' });
    // Compute's rate limit arrives as a 403 with only its reason.
    expect(
      await failure(403, {
        error: { code: 403, message: 'Rate Limit Exceeded', errors: [{ reason: 'rateLimitExceeded' }] },
      }),
    ).toMatchObject({
      status: 429,
      code: 'rateLimitExceeded',
    });
  });

  it('takes Google’s status when a proxy answers another', async () => {
    const err = await failure(400, google(401, 'UNAUTHENTICATED', 'bad token'));
    expect(err).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(err.message).toBe(
      'Google Cloud rejected the credentials (401): check the secret this server is given: bad token',
    );
  });

  it('maps the token endpoint’s invalid_grant (400) to a 401, other OAuth errors as they are', async () => {
    const err = await failure(400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    expect(err).toMatchObject({ status: 401, code: 'invalid_grant' });
    expect(err.message).toMatch(/rejected the credentials \(401\).*: invalid_grant: Invalid JWT Signature\.$/);
    expect(await failure(400, { error: 'invalid_scope' })).toMatchObject({ status: 400, code: 'invalid_scope' });
  });

  it('leaves a code that is a prototype key alone', () => {
    const err = new VendorError(VENDOR, 400, 'constructor', 'x');
    expect(normalizeGoogleError(err)).toBe(err);
    expect(readGoogleError('nope', 500, new Headers())).toEqual({});
  });
});

describe('the service account key and its tokens', () => {
  const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  const key = { client_email: 'a@p.iam.gserviceaccount.com', private_key: pem };

  it('refuses a key that is not a service account’s, lacks fields, or names another token endpoint', () => {
    expect(() => parseServiceAccountKey('not json')).toThrow(/must be a JSON object with client_email, private_key/);
    expect(() => parseServiceAccountKey(JSON.stringify({ ...key, type: 'authorized_user' }))).toThrow(
      /not a service account key/,
    );
    expect(() => parseServiceAccountKey(JSON.stringify({ client_email: 'a' }))).toThrow(/lacks private_key/);
    expect(() => parseServiceAccountKey(JSON.stringify({ ...key, token_uri: 'https://evil.example/token' }))).toThrow(
      /token_uri is not Google's token endpoint/,
    );
    expect(
      parseServiceAccountKey(JSON.stringify({ ...key, token_uri: 'https://oauth2.googleapis.com/token' })),
    ).toMatchObject(key);
  });

  it('exchanges once and caches the token until five minutes before it expires', async () => {
    let now = 1_000_000;
    const tokens = new ServiceAccountTokens(key, url, () => now);
    answer = { status: 200, body: { access_token: 'ya29.one', expires_in: 3600 } };
    tokenCalls = 0;
    expect(await Promise.all([tokens.token(), tokens.token()])).toEqual(['ya29.one', 'ya29.one']);
    now += 54 * 60_000;
    expect(await tokens.token()).toBe('ya29.one');
    answer = { status: 200, body: { access_token: 'ya29.two', expires_in: 3600 } };
    now += 2 * 60_000;
    expect(await tokens.token()).toBe('ya29.two');
    tokens.invalidate();
    expect(await tokens.token()).toBe('ya29.two');
    expect(tokenCalls).toBe(3);
  });

  it('refuses a private key that is no PEM key without quoting it', async () => {
    const tokens = new ServiceAccountTokens({ ...key, private_key: 'secret-not-a-key' }, url);
    const err = await tokens.token().catch((e: unknown) => e as VendorError);
    expect(err).toMatchObject({ status: 401, code: 'invalid_credential' });
    expect((err as Error).message).not.toContain('secret-not-a-key');
  });
});

describe('utf8Text', () => {
  it('reads UTF-8 text, and a read cut inside a character, but not binary', () => {
    expect(utf8Text(Buffer.from('héllo\n\tok'), false)).toBe('héllo\n\tok');
    expect(utf8Text(Buffer.from('hé').subarray(0, 2), true)).toBe('h');
    expect(utf8Text(Buffer.from('hé').subarray(0, 2), false)).toBeUndefined();
    expect(utf8Text(Buffer.from([0x00, 0x01, 0x02]), false)).toBeUndefined();
  });
});
