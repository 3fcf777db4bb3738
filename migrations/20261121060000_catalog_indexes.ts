import type { Knex } from 'knex';

// Catalog search without a substring query: category and tag filters and the plain listing stay index
// scans with tens of thousands of tools (the trigram index serves only substring queries of 3+ characters).
export async function up(knex: Knex): Promise<void> {
  await knex.raw('create index mcp_tools_org_name on mcp_tools (org_id, name, server_id)');
  await knex.raw(
    'create index mcp_tools_org_category on mcp_tools (org_id, (coalesce(category, inferred_category)), name, server_id)',
  );
  await knex.raw('create index mcp_tools_tags on mcp_tools using gin (tags jsonb_path_ops)');
  await knex.raw('create index mcp_tools_inferred_tags on mcp_tools using gin (inferred_tags jsonb_path_ops)');
}

export async function down(knex: Knex): Promise<void> {
  for (const index of ['mcp_tools_inferred_tags', 'mcp_tools_tags', 'mcp_tools_org_category', 'mcp_tools_org_name'])
    await knex.raw(`drop index ${index}`);
}
