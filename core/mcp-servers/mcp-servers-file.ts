import { z } from 'zod';
import { CreateMcpServerSchema, type CreateMcpServer } from './mcp-server.schemas.js';

// The `{"mcpServers": {...}}` file that Claude Desktop, Cursor, VS Code and most MCP clients read.
const Entry = z.looseObject({
  command: z.string().optional(),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  url: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  type: z.string().optional(),
  cwd: z.string().optional(),
  disabled: z.boolean().optional(),
  // Collexa's own fields, kept when a file exported here (or written by hand) carries them.
  network: z.unknown().optional(),
  securityLevel: z.unknown().optional(),
  limits: z.unknown().optional(),
});
export const McpServersFileSchema = z.strictObject({
  mcpServers: z.record(z.string(), Entry).refine((m) => Object.keys(m).length <= 100, 'at most 100 servers'),
});
export type McpServersFile = z.infer<typeof McpServersFileSchema>;
export type McpServersFileEntry = McpServersFile['mcpServers'][string];

/** Why an entry is not imported: skipped on purpose, or refused with a code (and the issues, when it is invalid). */
export interface ImportRefusal {
  name: string;
  code: string;
  message: string;
  details?: unknown;
}

/**
 * The server body a file entry describes, or why it is not one. Nothing of an entry is dropped silently:
 * what cannot be honoured is reported.
 */
export function entryBody(
  name: string,
  entry: McpServersFileEntry,
): { body: CreateMcpServer } | { skipped: string } | { refused: ImportRefusal } {
  if (entry.disabled === true) return { skipped: 'disabled in the file' };
  const unsupported =
    entry.type === 'sse'
      ? "the SSE transport is not supported: use the server's Streamable HTTP endpoint"
      : entry.cwd !== undefined
        ? 'cwd is not supported: every stdio server runs in its own sandboxed directory'
        : undefined;
  if (unsupported) return { refused: { name, code: 'unsupported', message: unsupported } };
  const keys =
    entry.url !== undefined
      ? (['securityLevel', 'limits'] as const)
      : (['network', 'securityLevel', 'limits'] as const);
  const own = Object.fromEntries(keys.filter((k) => entry[k] !== undefined).map((k) => [k, entry[k]]));
  const base =
    entry.url !== undefined
      ? { name, transport: 'http', url: entry.url, headers: entry.headers ?? {} }
      : { name, transport: 'stdio', command: entry.command, args: entry.args ?? [], env: entry.env ?? {} };
  const parsed = CreateMcpServerSchema.safeParse({ ...base, ...own });
  if (!parsed.success) {
    return {
      refused: {
        name,
        code: 'validation_error',
        message: 'not a server this API can register',
        details: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      },
    };
  }
  return { body: parsed.data };
}
