import { Router } from 'express';
import { z } from 'zod';
import { McpServerRepository } from '../../core/db/mcp-server.repository.js';
import { AppError, badRequest } from '../../core/errors.js';
import { principalOf, requireRole } from '../middleware/auth.js';
import { parseBody, parseQuery } from '../middleware/validate.js';
import { CreateMcpServerSchema, McpServerRegistrar, TemplateConfigError, type RegistrarDeps } from '../mcp-server-registrar.js';
import { mcpServersFileView, serverView } from '../views/mcp-server.view.js';

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
export const McpServersFileSchema = z.strictObject({ mcpServers: z.record(z.string(), Entry).refine((m) => Object.keys(m).length <= 100, 'at most 100 servers') });
const WaitQuery = z.object({ wait: z.coerce.number().int().min(0).max(60).default(0) });


/** Import and export of the common `{"mcpServers": {...}}` configuration (command/args/env and url forms). */
export function mcpServerImportRoutes(deps: RegistrarDeps): Router {
  const router = Router();
  const registrar = new McpServerRegistrar(deps);
  const servers = new McpServerRepository(deps.db);

  router.post('/v1/mcp-servers/import', requireRole('admin', 'developer'), async (req, res) => {
    const file = parseBody(req, McpServersFileSchema);
    const { wait } = parseQuery(req, WaitQuery);
    const p = principalOf(req);
    const created = [];
    const skipped: { name: string; reason: string }[] = [];
    const errors: { name: string; code: string; message: string; details?: unknown }[] = [];
    for (const [name, entry] of Object.entries(file.mcpServers)) {
      // Nothing of an entry is dropped silently: what cannot be honoured is reported.
      if (entry.disabled === true) {
        skipped.push({ name, reason: 'disabled in the file' });
        continue;
      }
      const unsupported = entry.type === 'sse' ? 'the SSE transport is not supported: use the server\'s Streamable HTTP endpoint' : entry.cwd !== undefined ? 'cwd is not supported: every stdio server runs in its own sandboxed directory' : undefined;
      if (unsupported) {
        errors.push({ name, code: 'unsupported', message: unsupported });
        continue;
      }
      const keys = entry.url !== undefined ? (['securityLevel', 'limits'] as const) : (['network', 'securityLevel', 'limits'] as const);
      const own = Object.fromEntries(keys.filter((k) => entry[k] !== undefined).map((k) => [k, entry[k]]));
      const base = entry.url !== undefined ? { name, transport: 'http', url: entry.url, headers: entry.headers ?? {} } : { name, transport: 'stdio', command: entry.command, args: entry.args ?? [], env: entry.env ?? {} };
      const candidate = { ...base, ...own };
      const parsed = CreateMcpServerSchema.safeParse(candidate);
      if (!parsed.success) {
        errors.push({ name, code: 'validation_error', message: 'not a server this API can register', details: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
        continue;
      }
      try {
        created.push(serverView(await registrar.register(p, parsed.data, { waitSeconds: wait, requestId: req.id })));
      } catch (err) {
        if (err instanceof AppError) errors.push({ name, code: err.code, message: err.message });
        else if (err instanceof TemplateConfigError) errors.push({ name, code: 'validation_error', message: err.message, details: err.issues });
        else throw err;
      }
    }
    if (created.length === 0 && errors.length > 0) throw badRequest('import_failed', 'No server could be imported', { errors });
    res.status(errors.length > 0 ? 207 : 201).json({ created, skipped, errors });
  });

  router.get('/v1/mcp-servers/export', async (req, res) => {
    const rows = await servers.list(principalOf(req).orgId);
    res.json(mcpServersFileView(rows));
  });

  return router;
}
