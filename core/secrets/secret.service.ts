import type { Knex } from 'knex';
import { AuditRepository } from '../db/audit.repository.js';
import { LlmProviderRepository } from '../db/llm-provider.repository.js';
import { McpServerRepository } from '../db/mcp-server.repository.js';
import { conflict } from '../errors.js';
import { auditEvent, type Actor } from '../identity/actor.js';
import { toServerConfig } from '../mcp/server-config.js';
import { secretRefs } from './resolve.js';
import type { SecretRow, SecretVault } from './vault.js';

/** The secrets door: the org's secrets, which MCP servers reference as `secret:NAME`; each change is written with its audit event in one transaction. */
export class SecretService {
  constructor(
    private readonly db: Knex,
    private readonly vault: SecretVault,
  ) {}

  list(orgId: string): Promise<SecretRow[]> {
    return this.vault.list(orgId);
  }

  get(orgId: string, name: string): Promise<SecretRow> {
    return this.vault.get(orgId, name);
  }

  async create(actor: Actor, name: string, value: string): Promise<SecretRow> {
    await this.vault.verify(); // before the transaction: checking the master keys takes a connection of its own
    return this.db.transaction(async (trx) => {
      const row = await this.vault.create(actor.orgId, name, value, { actor: `user:${actor.userId}`, trx });
      await this.record(trx, actor, 'secret.created', row.name, row.current_version);
      return row;
    });
  }

  /** A new version; connections made from now on use it (the pools reconnect: the resolved config changed). */
  async rotate(actor: Actor, name: string, value: string): Promise<SecretRow> {
    await this.vault.verify();
    return this.db.transaction(async (trx) => {
      const row = await this.vault.rotate(actor.orgId, name, value, trx);
      await this.record(trx, actor, 'secret.rotated', name, row.current_version);
      return row;
    });
  }

  /** Deletes the secret with every version; 409 while an MCP server or an LLM provider references it. */
  async delete(actor: Actor, name: string): Promise<void> {
    await this.vault.get(actor.orgId, name);
    const users = (await new McpServerRepository(this.db).list(actor.orgId))
      .filter((s) => secretRefs(toServerConfig(s)).includes(name))
      .map((s) => s.name);
    if (users.length > 0)
      throw conflict('The secret is referenced by MCP servers; change or remove them first', { servers: users });
    const providers = await new LlmProviderRepository(this.db).usingSecret(actor.orgId, name);
    if (providers.length > 0)
      throw conflict('The secret is the key of LLM providers; change or remove them first', {
        llmProviders: providers,
      });
    await this.db.transaction(async (trx) => {
      await this.vault.delete(actor.orgId, name, trx);
      await this.record(trx, actor, 'secret.deleted', name);
    });
  }

  private record(trx: Knex, actor: Actor, action: string, name: string, version?: number) {
    return new AuditRepository(trx).record(
      auditEvent(actor, action, 'secret', name, { name, ...(version ? { version } : {}) }),
      trx,
    );
  }
}
