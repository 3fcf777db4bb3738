import type { IntegrationSpec } from '../integration.js';
import type { ToolOutput } from './tool-output.js';

/** What an integration server is started with (env COLLEXA_INTEGRATION, JSON; no secret in it). */
export interface IntegrationSettings {
  integration: string;
  /** Where each of the spec's services is: the vendor's URLs, or a sandbox's on 127.0.0.1. */
  endpoints: Record<string, string>;
  /** The tools it serves (a subset of the spec's). */
  tools: string[];
  region?: string;
  /** The spec's other config fields as given (a GCP project, PostgreSQL's readOnly). */
  options: Record<string, string | boolean>;
  /** Set when it serves a sandbox: the credential is the sandbox's stand-in, not the org's. */
  sandbox?: 'mock' | 'emulated';
}

/** What a tool's handler works with: its settings, the parsed credential, and the call's abort signal. */
export interface ToolContext<Client> {
  settings: IntegrationSettings;
  client: Client;
  signal: AbortSignal;
}

export type ToolHandler<Client> = (args: Record<string, unknown>, ctx: ToolContext<Client>) => Promise<ToolOutput>;

/**
 * An integration's runtime half: how its vendor client is made from the settings and the credential (the
 * secret's value, parsed and checked here), and one handler per tool of its spec.
 */
export interface IntegrationHandlers<Client = unknown> {
  spec: IntegrationSpec;
  connect(settings: IntegrationSettings, credential: string): Client | Promise<Client>;
  /** Values of the credential to redact from everything the server answers (tokens, keys; not ids). */
  secretsOf(credential: string): string[];
  /**
   * Fields of a JSON credential that are not secret and that answers hold (ids, the vendor's URLs): not
   * redacted. Every other string field of it is (see credentialStrings).
   */
  publicCredentialFields?: readonly string[];
  tools: Record<string, ToolHandler<Client>>;
  close?(client: Client): Promise<void>;
}
