import type { Knex } from 'knex';
import { McpServerRepository } from '../db/mcp-server.repository.js';
import { effectiveLimits } from './defaults.js';
import { ExecutionLimits } from './execution-limits.js';
import { LimitExceeded } from './limit-exceeded.js';

/**
 * The door's check before an invocation is recorded and started: an open breaker answers 503
 * circuit_open, a spent rate bucket 429 rate_limited, both with Retry-After. A replay of an idempotency
 * key already recorded is not a new call and takes nothing.
 */
export class InvocationAdmission {
  private readonly servers: McpServerRepository;
  private readonly limits: ExecutionLimits;

  constructor(private readonly db: Knex) {
    this.servers = new McpServerRepository(db);
    this.limits = new ExecutionLimits(db);
  }

  /** True when this call's rate tokens were taken (the invocation records it); throws an AppError when refused. */
  async admit(orgId: string, serverId: string, idempotencyKey: string | null): Promise<boolean> {
    if (idempotencyKey !== null && (await this.db('invocations').where({ org_id: orgId, idempotency_key: idempotencyKey }).first('id'))) return false;
    const server = await this.servers.get(orgId, serverId);
    try {
      await this.limits.admitRequest(server, effectiveLimits(server));
      return true;
    } catch (err) {
      throw err instanceof LimitExceeded ? err.toAppError() : err;
    }
  }
}
