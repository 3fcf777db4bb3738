import { AppError } from '../errors.js';
import type { McpServerConfig } from '../mcp/client-pool.js';
import { VaultUnavailableError, type SecretReader } from './vault.js';

/** An env or header value that is exactly `secret:NAME` takes the secret's latest value when connecting. */
const SECRET_REF = /^secret:([A-Za-z0-9][A-Za-z0-9_.-]{0,127})$/;
// What fetch and spawn refuse; their errors would quote the value, so we refuse first, naming only the secret.
const BAD_IN_HEADER = /[\0\r\n]/;
const BAD_IN_ENV = /\0/;

export class UnknownSecretError extends AppError {
  constructor(server: string, names: string[]) {
    const list = names.map((n) => `"${n}"`).join(', ');
    super(
      'unknown_secret',
      400,
      `MCP server "${server}" references secret ${list}, which ${names.length > 1 ? 'do' : 'does'} not exist in this organization`,
      { server, secrets: names },
    );
  }
}

/** The secret names a value map references. */
export function referencedSecrets(values: Record<string, string>): string[] {
  return [...new Set(Object.values(values).flatMap((v) => SECRET_REF.exec(v)?.[1] ?? []))];
}

/** The secret names an MCP server's env (stdio) or headers (http) reference. */
export function secretRefs(config: McpServerConfig): string[] {
  return referencedSecrets(config.transport === 'stdio' ? config.env : config.headers);
}

/**
 * The one place `secret:NAME` references become values: a copy of `config` with each reference replaced
 * by the latest version of the org's secret, and the values listed in `secrets` so whatever the server
 * sends back can be redacted. Only the worker's activities call this (they alone open MCP connections);
 * the result is never stored or logged. A config without
 * references is returned as is, without touching the vault.
 */
export async function resolveServerSecrets(
  config: McpServerConfig,
  vault: SecretReader | undefined,
  orgId: string,
): Promise<McpServerConfig> {
  const names = secretRefs(config);
  if (names.length === 0) return config;
  if (!vault) throw new VaultUnavailableError();
  const values = await vault.revealMany(orgId, names);
  const missing = names.filter((n) => !values.has(n));
  if (missing.length > 0) throw new UnknownSecretError(config.name, missing);
  const bad = config.transport === 'stdio' ? BAD_IN_ENV : BAD_IN_HEADER;
  const secrets = names.map((name) => ({ name, value: values.get(name)! }));
  const swap = (map: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(map).map(([key, v]) => {
        const name = SECRET_REF.exec(v)?.[1];
        if (name === undefined) return [key, v];
        const value = values.get(name)!;
        if (bad.test(value)) {
          const what =
            config.transport === 'stdio'
              ? 'an environment variable (it holds a NUL byte)'
              : 'an HTTP header (it holds a line break or NUL byte)';
          throw new AppError(
            'invalid_secret_value',
            400,
            `Secret "${name}" cannot be used as ${what} of MCP server "${config.name}"`,
            { server: config.name, secret: name },
          );
        }
        return [key, value];
      }),
    );
  return config.transport === 'stdio'
    ? { ...config, env: swap(config.env), secrets }
    : { ...config, headers: swap(config.headers), secrets };
}
