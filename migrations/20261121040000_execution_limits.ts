import type { Knex } from 'knex';

// Execution limits shared by every worker and API process: rate buckets, concurrency slots and circuit
// breakers live in PostgreSQL, each changed by single atomic statements (core/limits/).
export async function up(knex: Knex): Promise<void> {
  // GCRA rate limiting: one "theoretical arrival time" per bucket (scope 'server' or 'org', key = its id).
  await knex.schema.createTable('rate_limits', (t) => {
    t.text('scope').notNullable();
    t.text('key').notNullable();
    t.timestamp('tat', { useTz: true }).notNullable();
    t.primary(['scope', 'key']);
  });

  // maxConcurrency slots per server; an expired lease (a crashed worker's) is free again.
  await knex.schema.createTable('mcp_call_slots', (t) => {
    t.uuid('server_id').notNullable().references('mcp_servers.id').onDelete('CASCADE');
    t.integer('slot').notNullable();
    t.text('holder').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.primary(['server_id', 'slot']);
  });

  await knex.schema.createTable('mcp_server_breakers', (t) => {
    t.uuid('server_id').primary().references('mcp_servers.id').onDelete('CASCADE');
    t.text('state').notNullable().defaultTo('closed');
    t.integer('consecutive_failures').notNullable().defaultTo(0);
    t.timestamp('opened_at', { useTz: true });
    t.timestamp('probe_started_at', { useTz: true });
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(
    "alter table mcp_server_breakers add constraint mcp_server_breakers_state_check check (state in ('closed','open','half_open'))",
  );

  // Set when the API took the rate tokens for the call before starting the workflow: the first call
  // attempt claims it instead of taking tokens again (core/limits/execution-limits.ts).
  await knex.schema.alterTable('invocations', (t) => {
    t.boolean('rate_admitted').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invocations', (t) => {
    t.dropColumn('rate_admitted');
  });
  await knex.schema.dropTable('mcp_server_breakers');
  await knex.schema.dropTable('mcp_call_slots');
  await knex.schema.dropTable('rate_limits');
}
