/**
 * What an integration is, as data: its tools (JSON Schemas and MCP annotations), the credential it needs,
 * the settings it takes and the sandbox that stands in for its vendor. Pure: the API lists these, the
 * integration server (server/main.ts) pairs them with handlers; nothing here talks to a vendor.
 */

/** The integrations Collexa ships, by the name `POST /v1/mcp-servers {template}` takes. */
export const INTEGRATION_NAMES = ['jira', 'confluence', 'slack', 'github', 'aws', 'gcp', 'postgres'] as const;
export type IntegrationName = (typeof INTEGRATION_NAMES)[number];

export const isIntegrationName = (name: string): name is IntegrationName =>
  (INTEGRATION_NAMES as readonly string[]).includes(name);

/** The base URL of a server that serves sandboxes only (no real system given); `.invalid` never resolves (RFC 6761). */
export const SANDBOX_ONLY_BASE_URL = 'https://sandbox-only.invalid';

/** MCP tool annotations: reads are readOnlyHint, deletes and terminations destructiveHint. */
export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

export type JsonSchema = Record<string, unknown>;

/** One tool as the integration's MCP server lists it. */
export interface IntegrationTool {
  name: string;
  title: string;
  description: string;
  inputSchema: JsonSchema & { type: 'object' };
  annotations: ToolAnnotations;
}

/** The credential a server of this integration is given, as the value of one org secret. */
export interface CredentialSpec {
  /** What it is, in the vendor's words (API token, bot token, access key). */
  kind: string;
  /** The secret's value: its format, e.g. `{"email": "...", "apiToken": "..."}`. */
  format: string;
  /** JSON Schema of the value when it is JSON; absent for a bare token string. */
  schema?: JsonSchema;
  /** Where the vendor documents it. */
  docs: string;
}

export type SandboxModeName = 'mock' | 'emulated';

/**
 * How one part of the vendor is stood in for: an OpenAPI description (Prism, the emulator), a native
 * emulator, or (`postgres`) a scratch database of the sandbox's own in the platform's PostgreSQL.
 */
export type SandboxBackend =
  { kind: 'openapi' } | { kind: 'moto' } | { kind: 'fake-gcs-server' } | { kind: 'postgres' };

/** The sandbox target an integration declares: `POST /v1/agents/:id/sandboxes {target: <name>}`. */
export interface IntegrationSandbox {
  target: string;
  /**
   * The OpenAPI description its `openapi` services are mocked and emulated from (one per target: several
   * services share it), an absolute path of a JSON file Collexa ships.
   */
  spec?: string;
  /** The credential its server is given in a sandbox (no secret: a sandbox checks the shape, never the value). */
  credential: string;
  /** The modes it offers, each with the backend of each of its services. */
  modes: Partial<Record<SandboxModeName, Record<string, SandboxBackend>>>;
  /** Which emulator backs each mode, in words (the catalog shows it). */
  emulators: Partial<Record<SandboxModeName, string>>;
  /** What a `postgres` backend's scratch database starts from and returns to on reset: SQL its role runs. */
  seedSql?: string;
}

/** A setting of `config` besides credentials and tools. */
export interface ConfigField {
  description: string;
  required: boolean;
  /** The value a server takes when none is given. */
  default?: string;
  /** `url` values pass the egress policy; `region` is a vendor region name; `text` is free text. */
  type: 'url' | 'region' | 'text' | 'boolean';
}

export interface IntegrationSpec {
  name: IntegrationName;
  /** Its servers' default security level: high when a tool writes to the vendor. */
  securityLevel: 'low' | 'medium' | 'high' | 'critical';
  title: string;
  description: string;
  /** The vendor interface it speaks, and where its shapes come from. */
  api: string;
  credentials: CredentialSpec;
  config: Record<string, ConfigField>;
  /** Services the server calls and where each is by default (connected mode), e.g. `{api: baseUrl}`. */
  services: string[];
  tools: IntegrationTool[];
  sandbox: IntegrationSandbox;
  /** Tools exposed when `config.tools` is not given (PostgreSQL: the read-only ones). Default: all. */
  defaultTools?: string[];
  /**
   * What the config schema cannot say on its own (PostgreSQL: execute only with readOnly false): the
   * problems of a config whose fields are each valid, as `config.<path>: message` errors.
   */
  checkConfig?(config: { tools?: string[]; options: Record<string, string | boolean> }): ConfigProblem[];
  /** Where each service is outside a sandbox, from the server's config (baseUrl, region, options). */
  connectedEndpoints(config: ConnectedConfig): Record<string, string>;
}

export interface ConfigProblem {
  path: string[];
  message: string;
}

/** A server's config as its connected endpoints are derived from it. */
export interface ConnectedConfig {
  baseUrl?: string;
  region?: string;
  options: Record<string, string | boolean>;
}

/** An object schema with `required` from the properties not marked optional. */
export function objectSchema(
  properties: Record<string, JsonSchema>,
  required: string[] = Object.keys(properties),
): JsonSchema & { type: 'object' } {
  return { type: 'object', properties, required, additionalProperties: false };
}
