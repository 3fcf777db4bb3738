import type { Knex } from 'knex';
import { toolDefinitionHash } from '../core/mcp/tool-pin.js';

// Each capability pins the hash of the tool definition it was bound to; calls check it.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('agent_capabilities', (t) => {
    t.text('pinned_hash');
    t.timestamp('pinned_at', { useTz: true }).defaultTo(knex.fn.now());
  });
  const rows = await knex('agent_capabilities').select('id', 'tool_definition');
  for (const row of rows)
    await knex('agent_capabilities')
      .where({ id: row.id })
      .update({ pinned_hash: toolDefinitionHash(row.tool_definition) });
  await knex.raw('alter table agent_capabilities alter column pinned_hash set not null');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('agent_capabilities', (t) => {
    t.dropColumn('pinned_hash');
    t.dropColumn('pinned_at');
  });
}
