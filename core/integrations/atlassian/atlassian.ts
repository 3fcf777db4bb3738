/**
 * What Jira and Confluence share: one Atlassian Cloud site (`https://<site>.atlassian.net`), Basic auth with an
 * account's email and API token, and Atlassian's error bodies. Imported by both integrations' specs and
 * handlers, so it imports nothing outside core/integrations/.
 */
import {
  SANDBOX_ONLY_BASE_URL,
  type ConfigField,
  type ConnectedConfig,
  type CredentialSpec,
  type IntegrationSandbox,
  type IntegrationSpec,
} from '../integration.js';
import { jsonCredential, requireCredential } from '../server/credential.js';
import type { IntegrationSettings } from '../server/handler.js';
import { VendorHttp, type ErrorReader } from '../server/vendor-http.js';

export const ATLASSIAN_CREDENTIALS: CredentialSpec = {
  kind: 'Atlassian account API token',
  format: '{"email": "you@example.com", "apiToken": "<API token>"}',
  schema: {
    type: 'object',
    properties: {
      email: { type: 'string', format: 'email', maxLength: 254 },
      apiToken: { type: 'string', minLength: 1, maxLength: 1024 },
    },
    required: ['email', 'apiToken'],
    additionalProperties: false,
  },
  docs: 'https://support.atlassian.com/atlassian-account/docs/manage-api-tokens-for-your-atlassian-account/',
};

export const ATLASSIAN_CONFIG: Record<string, ConfigField> = {
  baseUrl: {
    description:
      'Your Atlassian Cloud site, https://<site>.atlassian.net. Without it the server serves sandboxes only.',
    required: false,
    type: 'url',
  },
};

/** The site's base URL (a trailing `/` or `/wiki` dropped: Confluence's paths carry their `/wiki`). */
export function atlassianEndpoints(config: ConnectedConfig): Record<string, string> {
  const site = config.baseUrl?.replace(/\/+$/, '').replace(/\/wiki$/, '');
  return { api: site || SANDBOX_ONLY_BASE_URL };
}

/** The sandbox's stand-in credential: the shape Atlassian takes, no secret. */
export const SANDBOX_CREDENTIAL = JSON.stringify({ email: 'sandbox@example.com', apiToken: 'collexa-sandbox-token' });

/** What a Jira and a Confluence server have alike: the credential, the site, one `api` service. */
export const ATLASSIAN_SERVER: Pick<IntegrationSpec, 'credentials' | 'config' | 'services' | 'connectedEndpoints'> = {
  credentials: ATLASSIAN_CREDENTIALS,
  config: ATLASSIAN_CONFIG,
  services: ['api'],
  connectedEndpoints: atlassianEndpoints,
};

/** A product's sandbox: its description served by Prism (mock) and by the emulator with its behaviours. */
export function atlassianSandbox(target: string, spec: string, emulators: { mock: string; emulated: string }) {
  const sandbox: IntegrationSandbox = {
    target,
    spec,
    credential: SANDBOX_CREDENTIAL,
    modes: { mock: { api: { kind: 'openapi' } }, emulated: { api: { kind: 'openapi' } } },
    emulators,
  };
  return sandbox;
}

export interface AtlassianClient {
  http: VendorHttp;
  /** The site as the server reaches it, for the links an answer gives (`<site>/browse/PROJ-1`). */
  site: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Readers of the vendor's JSON, which a handler trusts no more than its shape says: absent reads as empty. */
export type Obj = Record<string, unknown>;
export const obj = (v: unknown): Obj => (isObject(v) ? v : {});
export const str = (v: unknown): string | null =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
export const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/** The annotations of the tools: reads, and writes that change but delete nothing. */
export const READ_TOOL = { readOnlyHint: true, openWorldHint: true };
export const WRITE_TOOL = { readOnlyHint: false, destructiveHint: false, openWorldHint: true };

/**
 * Atlassian's error bodies: Jira's `{"errorMessages": [...], "errors": {"field": "..."}}`, Confluence's
 * `{"statusCode": 404, "message": "..."}`, the API gateway's `{"code": 401, "message": "..."}`. Neither product
 * names its errors with a code, so the code is the status's unless the body gives a string one.
 */
export const readAtlassianError: ErrorReader = (body) => {
  if (!isObject(body)) return {};
  const parts: string[] = [];
  if (Array.isArray(body.errorMessages)) parts.push(...body.errorMessages.filter((m) => typeof m === 'string'));
  if (isObject(body.errors))
    for (const [field, text] of Object.entries(body.errors))
      if (typeof text === 'string') parts.push(`${field}: ${text}`);
  if (typeof body.message === 'string') parts.push(body.message);
  const nested = isObject(body.error) ? body.error : undefined;
  if (nested && typeof nested.message === 'string') parts.push(nested.message);
  const code = [body.code, body.errorCode, nested?.code].find((c): c is string => typeof c === 'string' && c !== '');
  return { ...(code ? { code } : {}), ...(parts.length ? { message: parts.join('; ') } : {}) };
};

/** The client of a server: Basic auth from the credential secret, to the site its settings name. */
export function connectAtlassian(vendor: string, settings: IntegrationSettings, credential: string): AtlassianClient {
  const { email, apiToken } = jsonCredential(vendor, requireCredential(vendor, credential), ['email', 'apiToken']);
  const site = (settings.endpoints.api ?? SANDBOX_ONLY_BASE_URL).replace(/\/+$/, '');
  const http = new VendorHttp({
    vendor,
    baseUrl: site,
    headers: { authorization: `Basic ${basic(email, apiToken)}` },
    readError: readAtlassianError,
  });
  return { http, site };
}

const basic = (email: string, token: string) => Buffer.from(`${email}:${token}`).toString('base64');

/** The token and the Basic header made from it: neither may appear in an answer. */
export function atlassianSecrets(credential: string): string[] {
  try {
    const value = JSON.parse(credential) as unknown;
    if (!isObject(value) || typeof value.apiToken !== 'string' || value.apiToken === '') return [];
    return [value.apiToken, ...(typeof value.email === 'string' ? [basic(value.email, value.apiToken)] : [])];
  } catch {
    return [];
  }
}
