import type { McpServerRow } from '../db/rows.js';
import type { McpServerConfig } from './client-pool.js';

/** The connection settings of a stored MCP server, as the client pool takes them. */
export function toServerConfig(row: McpServerRow): McpServerConfig {
  if (row.transport === 'stdio') {
    return { id: row.id, name: row.name, transport: 'stdio', command: row.command!, args: row.args, env: row.env };
  }
  return { id: row.id, name: row.name, transport: 'http', url: row.url!, headers: row.headers };
}
