import type { Knex } from 'knex';

// Who asked to cancel an invocation: the workflow's cancellation carries no data, so the API writes the
// user here before it cancels, and the activities that record the end name that user in the audit.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invocations', (t) => {
    t.uuid('cancel_requested_by').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invocations', (t) => {
    t.dropColumn('cancel_requested_by');
  });
}
