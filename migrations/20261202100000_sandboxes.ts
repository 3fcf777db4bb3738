import type { Knex } from 'knex';

// Sandboxes (issue 12): targets an org registered (OpenAPI descriptions), the sandboxes of its agents,
// the MCP servers that front them, invocations routed to one, and the minutes they ran (for billing).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('sandbox_targets', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('org_id').notNullable().references('organizations.id').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('title').notNullable();
    // The description as registered, parsed and checked self-contained (only local $refs).
    t.jsonb('spec').notNullable();
    t.text('spec_hash').notNullable();
    t.text('base_url');
    t.uuid('created_by').notNullable().references('users.id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['org_id', 'name']);
  });

  await knex.schema.createTable('sandboxes', (t) => {
    t.uuid('id').primary();
    t.uuid('org_id').notNullable().references('organizations.id').onDelete('CASCADE');
    t.uuid('agent_id').notNullable().references('agents.id').onDelete('CASCADE');
    t.text('target').notNullable();
    t.text('mode').notNullable();
    t.text('status').notNullable();
    t.text('reason');
    // What the target's server is given in this sandbox: headers (connected mode: `secret:` references).
    t.jsonb('config').notNullable().defaultTo('{}');
    t.text('endpoint');
    t.uuid('mcp_server_id');
    t.uuid('approval_id');
    t.integer('ttl_seconds').notNullable();
    t.text('workflow_id').notNullable();
    t.uuid('requested_by').notNullable().references('users.id');
    // Where its processes run and which database is its own: what the reconciler cleans when a worker is lost.
    t.jsonb('resources').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('started_at', { useTz: true });
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('last_used_at', { useTz: true });
    t.timestamp('ended_at', { useTz: true });
    t.bigIncrements('seq', { primaryKey: false });
    t.index(['org_id', 'status']);
    t.index(['org_id', 'seq']);
  });
  await knex.raw(
    "alter table sandboxes add constraint sandboxes_mode_check check (mode in ('mock','emulated','connected'))",
  );
  await knex.raw(
    "alter table sandboxes add constraint sandboxes_status_check check (status in ('pending_approval','provisioning','running','stopping','stopped','expired','failed'))",
  );

  // A sandbox's own MCP server (hidden from the org's server list) and the target a server fronts.
  await knex.schema.alterTable('mcp_servers', (t) => {
    t.uuid('sandbox_id').references('sandboxes.id').onDelete('CASCADE');
    t.text('sandbox_target');
  });
  await knex.schema.alterTable('invocations', (t) => {
    t.uuid('sandbox_id').references('sandboxes.id').onDelete('SET NULL');
  });

  // Metered usage, one row per thing measured (idempotent on kind + subject).
  await knex.schema.createTable('usage_records', (t) => {
    t.bigIncrements('id');
    t.uuid('org_id').notNullable().references('organizations.id').onDelete('CASCADE');
    t.text('kind').notNullable();
    t.uuid('subject_id').notNullable();
    t.decimal('quantity', 18, 4).notNullable();
    t.timestamp('period_start', { useTz: true }).notNullable();
    t.timestamp('period_end', { useTz: true }).notNullable();
    t.timestamp('recorded_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['kind', 'subject_id']);
    t.index(['org_id', 'kind', 'period_end']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('usage_records');
  await knex.schema.alterTable('invocations', (t) => t.dropColumn('sandbox_id'));
  await knex.schema.alterTable('mcp_servers', (t) => {
    t.dropColumn('sandbox_id');
    t.dropColumn('sandbox_target');
  });
  await knex.schema.dropTable('sandboxes');
  await knex.schema.dropTable('sandbox_targets');
}
