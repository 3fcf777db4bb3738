import type { Knex } from 'knex';

// MCP server lifecycle (status and its history), catalog, execution settings and isolation.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mcp_servers', (t) => {
    t.text('status').notNullable().defaultTo('starting');
    t.text('status_reason');
    t.timestamp('last_check_at', { useTz: true });
    t.integer('tools_count').notNullable().defaultTo(0);
    t.text('catalog_hash');
    t.text('security_level').notNullable().defaultTo('medium');
    // Execution limits: timeoutMs, maxConcurrency, ratePerSecond, orgRatePerSecond, breakerThreshold,
    // breakerCooldownMs, maxResultBytes; unset keys fall back to the security level's defaults.
    t.jsonb('limits').notNullable().defaultTo('{}');
    t.boolean('network').notNullable().defaultTo(true);
    t.text('template');
    t.text('workflow_id');
  });
  await knex.raw(
    "alter table mcp_servers add constraint mcp_servers_status_check check (status in ('starting','healthy','degraded','unhealthy','stopped'))",
  );
  await knex.raw(
    "alter table mcp_servers add constraint mcp_servers_security_level_check check (security_level in ('low','medium','high','critical'))",
  );

  await knex.schema.createTable('mcp_server_status_events', (t) => {
    t.bigIncrements('id').primary();
    t.uuid('server_id').notNullable().references('mcp_servers.id').onDelete('CASCADE');
    t.uuid('org_id').notNullable();
    t.text('status').notNullable();
    t.text('reason');
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['server_id', 'id']);
  });

  await knex.schema.createTable('mcp_tools', (t) => {
    t.uuid('server_id').notNullable().references('mcp_servers.id').onDelete('CASCADE');
    t.uuid('org_id').notNullable();
    t.text('name').notNullable();
    t.jsonb('definition').notNullable();
    t.text('definition_hash').notNullable();
    // Configured by people (PATCH …/tools/:name); the inferred ones come from the definition itself.
    t.text('category');
    t.jsonb('tags').notNullable().defaultTo('[]');
    t.text('inferred_category').notNullable().defaultTo('other');
    t.jsonb('inferred_tags').notNullable().defaultTo('[]');
    t.text('search_text').notNullable().defaultTo('');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['server_id', 'name']);
    t.index(['org_id']);
  });
  // Substring search over names and descriptions stays fast with tens of thousands of tools.
  await knex.raw('create extension if not exists pg_trgm');
  await knex.raw('create index mcp_tools_search_trgm on mcp_tools using gin (search_text gin_trgm_ops)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('mcp_tools');
  await knex.schema.dropTable('mcp_server_status_events');
  await knex.raw(
    'alter table mcp_servers drop constraint mcp_servers_status_check, drop constraint mcp_servers_security_level_check',
  );
  await knex.schema.alterTable('mcp_servers', (t) => {
    for (const c of [
      'status',
      'status_reason',
      'last_check_at',
      'tools_count',
      'catalog_hash',
      'security_level',
      'limits',
      'network',
      'template',
      'workflow_id',
    ])
      t.dropColumn(c);
  });
}
