import type { Knex } from 'knex';

// GET /metrics counts what is still open, across orgs, at every scrape (core/metrics/api-metrics.ts): partial
// indexes over the open rows keep that cost to the work in flight, whatever the tables' history holds.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    "create index invocations_open_status_idx on invocations (status) where status in ('pending_approval', 'running')",
  );
  await knex.raw("create index approvals_pending_created_idx on approvals (created_at) where status = 'pending'");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists invocations_open_status_idx');
  await knex.raw('drop index if exists approvals_pending_created_idx');
}
