import type { Knex } from 'knex';

// What a stdio server's sandbox mounts besides its own dir: workspace paths it may write or read.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mcp_servers', (t) => {
    t.jsonb('sandbox')
      .notNullable()
      .defaultTo(JSON.stringify({ writablePaths: [], readablePaths: [] }));
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mcp_servers', (t) => {
    t.dropColumn('sandbox');
  });
}
