import type { Knex } from 'knex';

// When the request of an invocation's tool call was sent and no outcome has been recorded since (issue 16's
// burst with a worker killed): a later attempt that finds it set knows the call may have run, and repeats it
// only for a tool annotated readOnly or idempotent (core/invocations/tool-call.ts).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invocations', (t) => {
    t.timestamp('tool_dispatched_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invocations', (t) => {
    t.dropColumn('tool_dispatched_at');
  });
}
