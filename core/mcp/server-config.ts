import type { McpServerRow } from '../db/rows.js';
import { effectiveLimits } from '../limits/defaults.js';
import { resolveServerSecrets } from '../secrets/resolve.js';
import type { SecretReader } from '../secrets/vault.js';
import type { McpServerConfig } from './client-pool.js';

/** The connection settings of a stored MCP server, as the client pool takes them. */
export function toServerConfig(row: McpServerRow): McpServerConfig {
  const base = { id: row.id, orgId: row.org_id, name: row.name };
  if (row.transport === 'stdio') {
    const { memoryMb, cpuSeconds, maxProcesses, maxOpenFiles } = effectiveLimits(row);
    return {
      ...base,
      transport: 'stdio',
      command: row.command!,
      args: row.args,
      env: row.env,
      network: row.network,
      writablePaths: row.sandbox?.writablePaths ?? [],
      readablePaths: row.sandbox?.readablePaths ?? [],
      files: row.sandbox?.files ?? [],
      egressAllow: row.sandbox?.egressAllow ?? [],
      shippedFiles: row.sandbox?.shippedFiles ?? [],
      limits: { memoryMb, cpuSeconds, maxProcesses, maxOpenFiles },
    };
  }
  return { ...base, transport: 'http', url: row.url!, headers: row.headers };
}

/**
 * What a connection is opened with: toServerConfig with its `secret:NAME` env or header values replaced
 * by the org's secrets (resolveServerSecrets). Use it wherever the pool is handed a stored server.
 */
export function resolvedServerConfig(row: McpServerRow, vault: SecretReader | undefined): Promise<McpServerConfig> {
  return resolveServerSecrets(toServerConfig(row), vault, row.org_id);
}
