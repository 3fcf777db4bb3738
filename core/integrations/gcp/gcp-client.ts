import type { IntegrationSettings } from '../server/handler.js';
import { requireCredential } from '../server/credential.js';
import { VendorError } from '../server/vendor-error.js';
import { VendorHttp, type VendorRequest } from '../server/vendor-http.js';
import { parseServiceAccountKey, ServiceAccountTokens } from './gcp-auth.js';
import { normalizeGoogleError, readGoogleError, VENDOR } from './gcp-errors.js';
import { DEFAULT_REGION, DEFAULT_ZONE, SANDBOX_PROJECT } from './gcp.spec.js';

export type GcpService = 'compute' | 'storage' | 'functions';

// A sandbox checks that a request carries a bearer token, never its value.
const SANDBOX_TOKEN = 'collexa-sandbox';

/**
 * The three Google APIs the tools call, each with a bearer token on every request: the service account's
 * (exchanged and cached by ServiceAccountTokens), or in a sandbox a stand-in (its credential is no key).
 */
export class GcpClient {
  private readonly http: Record<GcpService, VendorHttp>;

  constructor(
    private readonly settings: IntegrationSettings,
    private readonly tokens: ServiceAccountTokens | undefined,
    private readonly defaultProject: string | undefined,
  ) {
    const http = (service: GcpService) => {
      const baseUrl = settings.endpoints[service];
      if (!baseUrl) throw new Error(`gcp: no endpoint for ${service}`);
      return new VendorHttp({ vendor: VENDOR, baseUrl, headers: {}, readError: readGoogleError });
    };
    this.http = { compute: http('compute'), storage: http('storage'), functions: http('functions') };
  }

  /** The project a tool works in: the one it names, else the server's. */
  project(named: unknown): string {
    if (typeof named === 'string') return named;
    if (this.defaultProject) return this.defaultProject;
    throw new VendorError(VENDOR, 400, 'no_project', `${VENDOR}: name a project (the server has no config.project)`);
  }

  zone(named: unknown): string {
    return typeof named === 'string' ? named : (optionText(this.settings.options.zone) ?? DEFAULT_ZONE);
  }

  region(named: unknown): string {
    return typeof named === 'string' ? named : (this.settings.region ?? DEFAULT_REGION);
  }

  /** A JSON request to one API. */
  async call<T>(service: GcpService, req: VendorRequest): Promise<T> {
    return this.authorized((headers) =>
      this.http[service].request<T>({ ...req, headers: { ...req.headers, ...headers } }),
    );
  }

  /** A request whose answer is bytes (an object's media). */
  async bytes(service: GcpService, req: VendorRequest): Promise<{ bytes: Buffer; contentType: string }> {
    return this.authorized((headers) =>
      this.http[service].requestBytes({ ...req, headers: { ...req.headers, ...headers } }),
    );
  }

  private async authorized<T>(send: (headers: Record<string, string>) => Promise<T>): Promise<T> {
    if (!this.tokens) return send({ authorization: `Bearer ${SANDBOX_TOKEN}` }).catch(rethrow);
    try {
      return await send({ authorization: `Bearer ${await this.tokens.token()}` });
    } catch (err) {
      // A token Google no longer takes (revoked, the key rotated): once more with a new one.
      if (!(err instanceof VendorError) || err.status !== 401 || err.code === 'invalid_grant')
        throw normalizeGoogleError(err);
      this.tokens.invalidate();
      return send({ authorization: `Bearer ${await this.tokens.token()}` }).catch(rethrow);
    }
  }
}

const rethrow = (err: unknown): never => {
  throw normalizeGoogleError(err);
};

/** An object without its undefined fields (what a view leaves out). */
export const compact = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const optionText = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** The client of a server: in a sandbox with the stand-in token, else with the org's service account key. */
export function connectGcp(settings: IntegrationSettings, credential: string): GcpClient {
  const project = optionText(settings.options.project);
  if (settings.sandbox) return new GcpClient(settings, undefined, project ?? SANDBOX_PROJECT);
  const key = parseServiceAccountKey(requireCredential(VENDOR, credential));
  const oauth = settings.endpoints.oauth;
  if (!oauth) throw new Error('gcp: no endpoint for oauth');
  return new GcpClient(settings, new ServiceAccountTokens(key, oauth), project ?? key.project_id);
}
