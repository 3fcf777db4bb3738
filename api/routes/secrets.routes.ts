import { Router, type Request } from 'express';
import { z } from 'zod';
import { AuditRepository } from '../../core/db/audit.repository.js';
import type { Db } from '../../core/db/knex.js';
import { McpServerRepository } from '../../core/db/mcp-server.repository.js';
import { conflict } from '../../core/errors.js';
import { toServerConfig } from '../../core/mcp/server-config.js';
import { secretRefs } from '../../core/secrets/resolve.js';
import { SECRET_NAME, type SecretVault } from '../../core/secrets/vault.js';
import { principalOf, requireRole } from '../middleware/auth.js';
import { parseBody, parseParam } from '../middleware/validate.js';
import { secretView } from '../views/secret.view.js';

export const SecretName = z.string().regex(SECRET_NAME, 'letters, digits, _ . and -, at most 128, starting with a letter or digit');
const SecretValue = z.string().min(1).max(65_536);
export const CreateSecretSchema = z.strictObject({ name: SecretName, value: SecretValue });
export type CreateSecret = z.infer<typeof CreateSecretSchema>;
export const RotateSecretSchema = z.strictObject({ value: SecretValue });
export type RotateSecret = z.infer<typeof RotateSecretSchema>;

/** /v1/secrets: the org's secrets, which MCP server env and headers reference as `secret:NAME`. */
export function secretRoutes(db: Db, vault: SecretVault): Router {
  const router = Router();
  const audit = new AuditRepository(db);
  const servers = new McpServerRepository(db);

  const record = (req: Request, action: string, s: { name: string; version?: number }) => {
    const p = principalOf(req);
    return audit.record({ org_id: p.orgId, actor: `user:${p.userId}`, action, subject_type: 'secret', subject_id: s.name, request_id: req.id, data: { name: s.name, ...(s.version ? { version: s.version } : {}) } });
  };

  router.post('/v1/secrets', requireRole('admin'), async (req, res) => {
    const body = parseBody(req, CreateSecretSchema);
    const p = principalOf(req);
    const row = await vault.create(p.orgId, body.name, body.value, { actor: `user:${p.userId}` });
    await record(req, 'secret.created', { name: row.name, version: row.current_version });
    res.status(201).json(secretView(row));
  });

  router.get('/v1/secrets', requireRole('admin', 'developer'), async (req, res) => {
    res.json({ data: (await vault.list(principalOf(req).orgId)).map(secretView) });
  });

  router.get('/v1/secrets/:name', requireRole('admin', 'developer'), async (req, res) => {
    const name = parseParam(req, 'name', SecretName, 'secret');
    res.json(secretView(await vault.get(principalOf(req).orgId, name)));
  });

  // A new version; connections made from now on use it (the pools reconnect: the resolved config changed).
  router.post('/v1/secrets/:name/rotate', requireRole('admin'), async (req, res) => {
    const name = parseParam(req, 'name', SecretName, 'secret');
    const body = parseBody(req, RotateSecretSchema);
    const row = await vault.rotate(principalOf(req).orgId, name, body.value);
    await record(req, 'secret.rotated', { name, version: row.current_version });
    res.json(secretView(row));
  });

  router.delete('/v1/secrets/:name', requireRole('admin'), async (req, res) => {
    const name = parseParam(req, 'name', SecretName, 'secret');
    const p = principalOf(req);
    await vault.get(p.orgId, name);
    const users = (await servers.list(p.orgId)).filter((s) => secretRefs(toServerConfig(s)).includes(name)).map((s) => s.name);
    if (users.length > 0) throw conflict('The secret is referenced by MCP servers; change or remove them first', { servers: users });
    await vault.delete(p.orgId, name);
    await record(req, 'secret.deleted', { name });
    res.status(204).end();
  });

  return router;
}
