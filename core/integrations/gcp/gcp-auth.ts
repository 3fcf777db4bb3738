/**
 * A service account's access token: a JWT signed with its key (RS256) exchanged at the token endpoint
 * (RFC 7523 JWT bearer grant), cached until shortly before it expires. The exchange goes to the server's
 * own `oauth` endpoint (Google's, or the admin's baseUrl), never to a host the key names: a tenant's key
 * whose token_uri is not Google's is refused.
 */
import { importPKCS8, SignJWT } from 'jose';
import { jsonCredential } from '../server/credential.js';
import { VendorError } from '../server/vendor-error.js';
import { VendorHttp } from '../server/vendor-http.js';
import { normalizeGoogleError, readGoogleError, VENDOR } from './gcp-errors.js';

export const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
export const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
// Older key files name these; Google answers at each, and the assertion's audience stays the one named.
const GOOGLE_TOKEN_URIS = new Set([
  GOOGLE_TOKEN_URI,
  'https://accounts.google.com/o/oauth2/token',
  'https://www.googleapis.com/oauth2/v4/token',
]);
// A token is renewed this long before Google says it expires (a call may take a while to reach it).
const EARLY_MS = 5 * 60_000;
const LIFETIME_S = 3600;

export interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
  project_id?: string;
}

/** The key's fields, checked: JSON with client_email and private_key, and a token_uri that is Google's. */
export function parseServiceAccountKey(credential: string): ServiceAccountKey {
  const key = jsonCredential(VENDOR, credential, ['client_email', 'private_key'], ['token_uri', 'private_key_id']);
  if (key.type !== undefined && key.type !== 'service_account')
    throw new VendorError(
      VENDOR,
      401,
      'invalid_credential',
      `${VENDOR}: the credential is a ${String(key.type).slice(0, 40)} key, not a service account key`,
    );
  if (key.token_uri !== undefined && !GOOGLE_TOKEN_URIS.has(key.token_uri))
    throw new VendorError(
      VENDOR,
      401,
      'invalid_credential',
      `${VENDOR}: the key's token_uri is not Google's token endpoint (${GOOGLE_TOKEN_URI}); this server exchanges keys only there`,
    );
  return key as ServiceAccountKey;
}

/** Access tokens of one service account, from one token endpoint. */
export class ServiceAccountTokens {
  private cached?: { token: string; until: number };
  private pending?: Promise<string>;
  private readonly http: VendorHttp;

  constructor(
    private readonly key: ServiceAccountKey,
    /** The server's `oauth` endpoint; the exchange posts to its /token. */
    oauthEndpoint: string,
    private readonly now: () => number = Date.now,
  ) {
    this.http = new VendorHttp({ vendor: VENDOR, baseUrl: oauthEndpoint, headers: {}, readError: readGoogleError });
  }

  /**
   * A valid access token: the cached one, else a new one. Concurrent callers share one exchange, so it
   * runs on its own timeout, not on one caller's signal.
   */
  async token(): Promise<string> {
    if (this.cached && this.now() < this.cached.until) return this.cached.token;
    this.pending ??= this.exchange().finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** Forgets the token (Google refused it: revoked, or the key was rotated). */
  invalidate(): void {
    this.cached = undefined;
  }

  private async exchange(): Promise<string> {
    const assertion = await this.assertion();
    let answer: { access_token?: unknown; expires_in?: unknown };
    try {
      answer = await this.http.request({
        method: 'POST',
        path: 'token',
        form: { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion },
      });
    } catch (err) {
      throw normalizeGoogleError(err);
    }
    if (typeof answer.access_token !== 'string' || answer.access_token === '')
      throw new VendorError(
        VENDOR,
        502,
        'invalid_token_response',
        `${VENDOR}: the token endpoint answered no access_token`,
      );
    const seconds = typeof answer.expires_in === 'number' && answer.expires_in > 0 ? answer.expires_in : LIFETIME_S;
    this.cached = { token: answer.access_token, until: this.now() + seconds * 1000 - EARLY_MS };
    return answer.access_token;
  }

  /** The signed JWT: issued by the service account, for the cloud-platform scope, to Google's token URI. */
  private async assertion(): Promise<string> {
    let signingKey: Awaited<ReturnType<typeof importPKCS8>>;
    try {
      signingKey = await importPKCS8(this.key.private_key, 'RS256');
    } catch {
      // jose's message would not quote the key, but no part of it is worth the risk.
      throw new VendorError(
        VENDOR,
        401,
        'invalid_credential',
        `${VENDOR}: the key's private_key is not a PEM PKCS#8 RSA key`,
      );
    }
    const iat = Math.floor(this.now() / 1000);
    return new SignJWT({ scope: SCOPE })
      .setProtectedHeader({
        alg: 'RS256',
        typ: 'JWT',
        ...(this.key.private_key_id ? { kid: this.key.private_key_id } : {}),
      })
      .setIssuer(this.key.client_email)
      .setSubject(this.key.client_email)
      .setAudience(this.key.token_uri ?? GOOGLE_TOKEN_URI)
      .setIssuedAt(iat)
      .setExpirationTime(iat + LIFETIME_S)
      .sign(signingKey);
  }
}
