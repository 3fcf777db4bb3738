import type { Knex } from 'knex';

// The latest progress an upstream tool reported during its tools/call ({progress, total?, message?, at}):
// the worker writes it (throttled) while the call runs, so REST readers and the MCP endpoint can follow it.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invocations', (t) => {
    t.jsonb('progress').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invocations', (t) => {
    t.dropColumn('progress');
  });
}
